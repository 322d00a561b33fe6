"""Work that falls due on a date, done without a scheduler: the first request of each day (per
process) runs every registered job, each in a write transaction and a session of its own, so that
GET requests stay read-only. A job must be idempotent (a second process, or the job's own command
run from cron, may do the same work the same day); a failure is logged and retried by the next
request, never shown to the person whose request happened to trigger it."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from shop import clock
from shop.db import write_transactions

log = logging.getLogger(__name__)

Job = Callable[[Session, dt.date], object]


def every_day(app: Flask, name: str, job: Job) -> None:
    """Run ``job(session, today)`` on the first request of each day."""
    jobs: dict[str, Job] = app.extensions.setdefault("shop.daily_jobs", {})
    first = not jobs
    jobs[name] = job
    if first:
        _install(app)


def _install(app: Flask) -> None:
    lock = threading.Lock()
    done: dict[str, dt.date] = {}

    @app.before_request
    def _run_daily_jobs() -> None:
        today = clock.today()
        jobs: dict[str, Job] = app.extensions["shop.daily_jobs"]
        if all(done.get(name) == today for name in jobs):
            return
        with lock:
            for name, job in jobs.items():
                if done.get(name) == today:
                    continue
                try:
                    with write_transactions(), app.extensions["shop.sessions"]() as session:
                        job(session, today)
                    done[name] = today
                except Exception:  # the next request retries
                    log.exception("daily job %s failed", name)
