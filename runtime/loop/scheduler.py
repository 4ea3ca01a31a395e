"""APScheduler 3 wiring of the loop: one AsyncIOScheduler per service, one job per step.

poll every `poll_interval_s`; forecast every `forecast_interval_s`; optimise at each slot start (+5 s, JST
grid) when the interval is 30 min, else on that interval; dispatch at each slot start (+15 s) and re-sent every
`dispatch_resend_s` but at most half the shortest device watchdog (so held set-points never revert);
settle at +60 s every slot not settled yet (the previous one, and any missed); retention daily.
Every job: max_instances=1, coalesce=True, misfire_grace_time from the settings. On start, the steps whose last
recorded run (table job_runs) is older than their interval run at once in loop order (poll, forecast, optimise,
dispatch) as a one-shot 'resume' job, and a one-shot 'catch_up_settle' settles every slot missed while
stopped, so a restart resumes the schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from runtime.loop.dispatch import dispatch
from runtime.loop.forecast import forecast
from runtime.loop.market import market_bid, market_intraday, market_plan
from runtime.loop.optimise import optimise
from runtime.loop.poll import poll
from runtime.loop.service import Service
from runtime.loop.settle import settle_missed
from runtime.loop.weather import fetch_weather
from runtime.ngsi.push import push_jobs
from runtime.store import journal, readings
from scenarios.device_identity import endpoint_of
from scenarios.timegrid import SLOT, TZ

log = logging.getLogger(__name__)
SLOT_S = SLOT.total_seconds()
"""Seconds of a slot (the cadence of the slot-aligned jobs)."""


def market_jobs(svc: Service) -> dict[str, tuple[Callable[[], Awaitable[Any]], Any, float]]:
    """The market day's jobs (``EMS_MARKET_ENABLED``): bid and 計画値 daily at their JST times, intraday steps at
    minutes 5 and 35 (runtime.loop.market)."""
    s = svc.settings
    bid_h, bid_m = (int(x) for x in s.market_bid_at.split(":"))
    plan_h, plan_m = (int(x) for x in s.market_plan_at.split(":"))
    return {
        "market_bid": (
            lambda: asyncio.to_thread(market_bid, svc, svc.clock()),
            CronTrigger(hour=bid_h, minute=bid_m, timezone=TZ),
            86400.0,
        ),
        "market_plan": (
            lambda: asyncio.to_thread(market_plan, svc, svc.clock()),
            CronTrigger(hour=plan_h, minute=plan_m, timezone=TZ),
            86400.0,
        ),
        "market_intraday": (
            lambda: asyncio.to_thread(market_intraday, svc, svc.clock()),
            CronTrigger(minute="5,35", timezone=TZ),
            SLOT_S,
        ),
    }


class LoopScheduler:
    """Owns the AsyncIOScheduler of one service; start() inside a running event loop."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.scheduler = AsyncIOScheduler(timezone=TZ)
        self.lock = asyncio.Lock()
        self.probe_lock = asyncio.Lock()  # the storage probe runs beside the steps; stop() waits for it too
        self.stopping = False

    def _guarded(self, name: str, step: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with self.lock:  # steps never overlap: poll, plan and dispatch share the store and devices
                if self.stopping:
                    return
                try:
                    await step()
                except Exception as exc:  # a failed step raises an event (kept while storage fails); schedule goes on
                    log.exception("job %s failed", name)
                    self.svc.failures[name] = self.svc.failures.get(name, 0) + 1
                    self.svc.outbox.event(
                        self.svc.store, "job_failed", f"{name}: {type(exc).__name__}: {exc}", severity="alarm"
                    )
                await asyncio.to_thread(self.svc.reads.warm)  # the read model rebuilt off the request path

        return run

    def resend_s(self) -> float:
        """Seconds between set-point re-sends: the setting, but at most half the shortest device watchdog."""
        endpoints = [endpoint_of(b) for f in self.svc.scenario.facilities for b in f.batteries]
        endpoints += [endpoint_of(c) for f in self.svc.scenario.facilities for c in f.ev_chargers]
        watchdogs = [e.watchdog_s for e in endpoints if e is not None and e.watchdog_s]
        return min([self.svc.settings.dispatch_resend_s, *(0.5 * w for w in watchdogs)])

    def jobs(self) -> dict[str, tuple[Callable[[], Awaitable[Any]], Any, float]]:
        """name -> (coroutine function, trigger, nominal interval in s)."""
        s, svc = self.svc.settings, self.svc
        slot_cron = s.optimise_interval_s == SLOT_S
        resend = self.resend_s()
        jobs: dict[str, tuple[Callable[[], Awaitable[Any]], Any, float]] = {}
        if s.weather_fetch:
            jobs["weather"] = (
                lambda: asyncio.to_thread(fetch_weather, svc, svc.clock()),
                IntervalTrigger(seconds=s.weather_fetch_interval_s),
                s.weather_fetch_interval_s,
            )
        if s.market_enabled:
            jobs |= market_jobs(svc)
        return jobs | {
            "poll": (lambda: poll(svc, svc.clock()), IntervalTrigger(seconds=s.poll_interval_s), s.poll_interval_s),
            "forecast": (
                lambda: asyncio.to_thread(forecast, svc, svc.clock()),
                IntervalTrigger(seconds=s.forecast_interval_s),
                s.forecast_interval_s,
            ),
            "optimise": (
                lambda: asyncio.to_thread(optimise, svc, svc.clock()),
                CronTrigger(minute="0,30", second=5) if slot_cron else IntervalTrigger(seconds=s.optimise_interval_s),
                s.optimise_interval_s,
            ),
            "dispatch_slot": (
                lambda: dispatch(svc, svc.clock()),
                CronTrigger(minute="0,30", second=15),
                SLOT_S,
            ),
            "dispatch": (lambda: dispatch(svc, svc.clock()), IntervalTrigger(seconds=resend), resend),
            "settle": (
                lambda: asyncio.to_thread(settle_missed, svc, svc.clock()),
                CronTrigger(minute="1,31"),
                SLOT_S,
            ),
            "retention": (
                lambda: asyncio.to_thread(readings.apply_retention, svc.store, svc.clock(), s.retention_days),
                CronTrigger(hour=3, minute=10),
                86400.0,
            ),
            **push_jobs(svc),  # NGSI-LD push to the city data platform, when EMS_NGSI_BROKER_URL is set
        }

    def overdue(self) -> list[str]:
        """Steps whose last recorded run is older than their interval (or never ran), in loop order."""
        last = journal.job_runs(self.svc.store)
        now = self.svc.clock()
        jobs = self.jobs()
        return [
            name
            for name in ("poll", "forecast", "optimise", "dispatch")
            if name not in last or now - last[name].last_run > dt.timedelta(seconds=jobs[name][2])
        ]

    def start(self) -> None:
        """Add every job, plus a one-shot 'resume' job running the overdue steps in loop order, and start."""
        jobs = self.jobs()
        for name, (step, trigger, _interval) in jobs.items():
            self.scheduler.add_job(
                self._guarded(name, step),
                trigger,
                id=name,
                name=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=self.svc.settings.misfire_grace_s,
                replace_existing=True,
            )
        due = self.overdue()
        if due:
            steps = [self._guarded(name, jobs[name][0]) for name in due]

            async def resume() -> None:
                for step in steps:
                    await step()

            self.scheduler.add_job(
                resume,
                "date",  # no run_date: at once
                id="resume",
                name="resume " + ",".join(due),
                misfire_grace_time=self.svc.settings.misfire_grace_s,
            )
        self.scheduler.add_job(  # every slot missed while the service was stopped is settled now
            self._guarded("settle", jobs["settle"][0]),
            "date",
            id="catch_up_settle",
            name="catch up settle",
            misfire_grace_time=self.svc.settings.misfire_grace_s,
        )
        self.scheduler.add_job(  # storage health for /health, checked here so no request touches the database
            self._probe,
            IntervalTrigger(seconds=self.svc.outbox.probe_every_s or 1.0),
            id="storage_probe",
            name="storage probe",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=self.svc.settings.misfire_grace_s,
        )
        self.scheduler.start()
        log.info("loop scheduler started with %d jobs", len(self.scheduler.get_jobs()))

    async def _probe(self) -> None:
        """Write a storage probe (and flush what waits) in a worker thread; the answer is kept for /health."""
        async with self.probe_lock:
            if not self.stopping:
                await asyncio.to_thread(self.svc.outbox.check, self.svc.store, self.svc.clock())

    def replan_now(self, why: str) -> None:
        """Re-plan at once (a one-shot job: optimise, then dispatch, under the step lock), e.g. after a rejection."""
        jobs = self.jobs()
        optimise_step = self._guarded("optimise", jobs["optimise"][0])
        dispatch_step = self._guarded("dispatch", jobs["dispatch"][0])

        async def replan() -> None:
            await optimise_step()
            await dispatch_step()

        log.info("re-plan requested: %s", why)
        self.scheduler.add_job(
            replan, "date", id="replan", name=f"replan ({why})", replace_existing=True, misfire_grace_time=None
        )

    def shutdown(self) -> None:
        """Stop scheduling; a step in progress finishes (see `drain`), none starts after this."""
        self.stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def stop(self) -> None:
        """Clean stop: no new step starts, the step in progress finishes, then the scheduler shuts down
        (APScheduler's executor would cancel a running job, leaving e.g. a solve's thread orphaned)."""
        self.stopping = True
        async with self.lock:
            pass
        async with self.probe_lock:
            pass
        self.shutdown()
