"""The service loop, one module per step: poll → forecast → optimise (through the fallback chain) → dispatch
(with plan following) → settle, wired to APScheduler by ``scheduler``.

| module | what is inside |
| --- | --- |
| ``service`` | ``Service`` (the state the steps and the API share), ``Sample``, ``Telemetry``, ``PlanRequest`` |
| ``horizon`` | the fixed 96-slot rolling horizon |
| ``poll`` | read every device, store good values, substitute last good ones for stale devices |
| ``forecast`` | forecast PV and load over the horizon and store the run |
| ``store_forecaster`` | the service's forecaster: pvlib PV and day-type load learned from stored telemetry |
| ``prices`` | the JEPX price series of a horizon, with a proxy year outside the recorded data |
| ``optimise`` | assemble the plan request and plan through the chain; what-if plans |
| ``optimiser_planner`` | ``OptimizerPlanner``: the optimiser's rungs (rolling MILP, LP relaxation, baseline) |
| ``fallback`` | the one fallback chain of planning (loop and ``ems plan``) |
| ``fallback_plans`` | the plans the chain makes without the optimiser: last plan shifted, safe plan |
| ``dispatch`` | send the current slot's set-points (plan, overrides, safety) and audit them |
| ``following`` | plan following: steer batteries so the slot's metered energy lands on the fixed plan |
| ``settle`` | the imbalance of a finished slot in kWh and JPY |
| ``scheduler`` | APScheduler wiring: one job per step |
| ``build`` | ``build_service``: a Service with the default forecaster and planner |

Modules import each other directly (this package re-exports nothing), so importing one step does not load the
optimiser or pvlib.
"""
