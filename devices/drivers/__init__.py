"""Capability drivers, one module per device type; each is listed once in :mod:`devices.catalog`.

* ``sunspec_base``: discovery once per unit, learned read plans, point reads and validated writes with SFs.
* ``sunspec_pv``, ``sunspec_battery``, ``sunspec_meter``: PV inverter, battery and meter over SunSpec;
  ``sunspec_storage``: the MPPT storage ports of hybrid units, shared by the PV and battery drivers.
* ``vendor_base``: any kind over a vendor YAML map; ``vendor_pv``, ``vendor_battery``, ``vendor_meter``,
  ``vendor_ev_charger``: one subclass per kind.

Each driver turns register points into capability values (units and signs in :mod:`devices.capabilities`),
reads fast points every cycle and slow points (energy counters, status, ratings) only on ``full`` reads, and is
built by its ``from_spec(spec, transports)``.
"""
