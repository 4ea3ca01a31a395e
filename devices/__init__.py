"""Devices: capability interfaces, register maps as data, the pymodbus adapter, drivers, poller, simulators.

* ``capabilities``: typed values with units and signs (battery + = discharge to the site, EV + = charging the
  car, meter + = import), ``Reading``/``Quality``, sink and driver Protocols. Kinds and device keys are the
  scenario's (``scenarios.device_identity``).
* ``registry``: device types keyed by (kind, driver family: sunspec, vendor_map); ``catalog``: the shipped
  types, one entry each (driver, simulator, set-point). The poller, the write path, the simulators and the
  scenario check find a device's type there.
* ``maps/``: ``sunspec_models.json`` (40 models generated from pysunspec2's official SunSpec JSON by
  ``maps/generate_sunspec.py``, repeating groups included) and vendor YAML maps (``ev_charger_generic``,
  ``huawei_sun2000``, ``sigenergy``); ``registermap`` loads the models and lays them out per device,
  ``vendormap`` is the typed form of a vendor map, ``maplibrary`` finds and validates map files (packaged and
  user folders; format in ``docs/device-maps.md``).
* ``codec`` (types, sentinels → None, scale factors), ``readplan`` (≤125-register reads on point boundaries,
  value and SF together, holding and input tables), ``blockreader`` (reads that learn what a device refuses),
  ``sunspec`` (discovery at 40000/0/50000, the model chain, layouts), ``scan`` (every point of a unit).
* ``modbus_client``: the only client-side pymodbus module (one request in flight, time-out, retries,
  reconnect, exponential back-off). ``simulators/server.py`` is the only server-side one.
* ``drivers/``: one module per device type (PV inverter, battery, meter over SunSpec; PV inverter, battery,
  meter, EV charger over a vendor map); ``poller`` (skips and reports a device whose driver cannot be built);
  ``writes`` (the one guarded set-point path); ``inventory`` (a scenario's Modbus devices, maps resolved,
  hybrids grouped by unit).
* ``simulators/``: clear-sky PV, battery, EV and meter physics behind pymodbus servers, with fault injection;
  any vendor map and the SunSpec hybrid inverter are simulated too.

``devices`` imports only ``scenarios`` (never ``runtime``); readings and audit entries go to sinks.
"""
