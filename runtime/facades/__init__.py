"""Thin façades the command line and the API call: each joins the domain packages for one concern and returns
plain results, so ``api`` never imports ``devices``, ``forecasts`` or ``optimizer`` itself.

| module | what is inside |
| --- | --- |
| ``dayahead_planning`` | ``ems plan``: forecasts + JEPX prices → day-ahead plan vs rule-based baseline → files |
| ``plan_files`` | the files ``ems plan`` writes, every column's unit and meaning, their CSV-on-the-Web sidecars |
| ``plan_costs`` | a stored plan's costs as money apart from penalties (the API's ``cost_summary``) |
| ``outage_planning`` | outage plans, survival tables and readiness for the disaster office |
| ``forecasting`` | scenario-wide PV/load forecasts, weather files, the recorded-data backtests |
| ``telemetry`` | simulators, one-off polls, SunSpec scans, and ``DeviceTelemetry`` (the loop's devices) |
"""
