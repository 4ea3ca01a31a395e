"""The operator's market day as plain functions: day-ahead bids from plans on forecast prices (``bids``), their
clearing against the real price (``clearing``), imbalance prices and expected imbalance cost (``imbalance``),
and intraday trading until gate closure (``intraday``). No Pyomo here: the plans come from ``optimizer.dayahead``
through runtime, these steps take their market schedules (kW per slot) as arrays."""
