"""Plans from Pyomo models solved by HiGHS, in two symmetric subpackages with the same vocabulary.

``optimizer.dayahead``: the day-ahead / rolling city schedule (JEPX, plant, batteries, EVs, shelter reserves);
``optimizer.outage``: islanded shelters and EV relocation in an outage. Each has ``inputs`` (the frozen input),
``from_scenario`` (inputs from a Scenario plus series, pure), ``model`` (Pyomo by named steps), ``solve`` and
``result``. Shared: ``optimizer.solver``, the one HiGHS interface (Pyomo's standard-form compiler -> highspy).
Nothing is imported here, so ``import optimizer.outage`` does not load the day-ahead model.
"""
