"""Capability drivers, one module per device type; each is listed once in :mod:`devices.catalog`.

* ``sunspec_base``: discovery once, cached read plans, point reads and writes with SFs (shared by the SunSpec types).
* ``sunspec_pv``, ``sunspec_battery``, ``sunspec_meter``: PV inverter, battery and meter over SunSpec.
* ``vendor_ev_charger``: the EV charger over a vendor YAML map (e.g. ``ev_charger_generic``).

Each driver turns register points into capability values (units and signs in :mod:`devices.capabilities`),
reads fast points every cycle and slow points (energy counters, status, ratings) only on ``full`` reads, and is
built by its ``from_spec(spec, transports)``.
"""
