"""The year backtest: the operator's whole day, replayed day by day on recorded prices and simulated actuals.

Modules: ``config`` (settings of a run, the week task), ``actuals`` (simulated actual PV/load and forecasts by
lead time), ``market`` (the market steps: price forecast, clearing, intraday and imbalance prices; stand-ins
until ``optimizer/market`` lands), ``execute`` (plans stitched into what ran, the actuals applied, the state
carried), ``settle`` (money of an executed day), ``day`` (one delivery day per strategy), ``week`` (the Dask
task: a week of days with the state carried), ``report`` (months and total, CSV, plot), ``run`` (the façade the
CLI calls). The modules import each other directly; nothing is re-exported here.
"""
