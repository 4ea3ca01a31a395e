"""Day-ahead and rolling city schedule: inputs -> from_scenario -> model -> solve -> result.

Modules: ``inputs`` (PlanInputs, the frozen input), ``from_scenario`` (build_inputs: Scenario + series ->
PlanInputs, pure), ``model`` (the Pyomo model by named steps, one module per constraint family), ``solve`` (the
rungs solve / solve_relaxed / shifted / baseline; the runtime chains them), ``rolling`` (RollingPlanner:
re-plans in a kept HiGHS model), ``result`` (SolveOptions, PlanResult, NoSolution), and what a plan is made
of: ``decisions`` (the plan as arrays), ``costs``, ``slack`` (missed soft targets), ``frames`` (tables),
``baseline`` (the rule-based plan), ``penalties``. Nothing is imported here, so loading PlanInputs (e.g. from a
pickle) does not load Pyomo.
"""
