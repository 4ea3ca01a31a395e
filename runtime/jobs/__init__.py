"""Heavy work off the event loop: outage plans and what-ifs solved in worker processes, with a job table, a
bound on concurrent jobs and status polling (``runtime.jobs.pool``)."""
