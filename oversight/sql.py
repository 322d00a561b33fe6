"""Portable SQL pieces of the oversight figures, the same on SQLite and PostgreSQL: the day in China of
a stored UTC timestamp (China keeps UTC+8 all year, no daylight saving time, so a fixed offset is
exact), whole seconds between two timestamps, medians per group with window functions, and the
programme year as stored instants. Used by ``oversight.reports`` and ``oversight.scorecards``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import BigInteger, Date, Integer, cast, func, literal_column, select
from sqlalchemy.orm import Session

from oversight.rules import median
from shop import clock
from shop.db import is_sqlite
from shop.policy import UTC_OFFSET, year_start

# China's offset from UTC in whole hours, for the SQL that groups stored UTC timestamps by China's day
_UTC_OFFSET_HOURS = int(UTC_OFFSET.total_seconds()) // 3600


def china_day(session: Session, column: Any) -> Any:
    """The calendar day in China of a stored UTC timestamp (China has one offset all year, no DST)."""
    if is_sqlite(session):
        return func.date(column, f"{_UTC_OFFSET_HOURS:+d} hours")
    return cast(column + literal_column(f"interval '{_UTC_OFFSET_HOURS:d} hours'"), Date)


def seconds_between(session: Session, start: Any, end: Any) -> Any:
    """Whole seconds from ``start`` to ``end`` (both stored UTC timestamps)."""
    if is_sqlite(session):
        return cast(func.strftime("%s", end), Integer) - cast(func.strftime("%s", start), Integer)
    return cast(func.extract("epoch", end - start), BigInteger)


def medians_by(session: Session, key: Any, seconds: Any, *where: Any) -> dict[int, int]:
    """The median of ``seconds`` per ``key``, computed in the database with window functions (both
    SQLite and PostgreSQL have row_number and count over a partition; SQLite has no percentile):
    only the one or two middle rows of each group come back."""
    inner = (
        select(
            key.label("k"),
            seconds.label("s"),
            func.row_number().over(partition_by=key, order_by=seconds).label("rn"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(*where)
        .subquery()
    )
    rows = session.execute(
        select(inner.c.k, inner.c.s).where((inner.c.rn == (inner.c.n + 1) // 2) | (inner.c.rn == (inner.c.n + 2) // 2))
    ).all()
    middles: dict[int, list[int]] = defaultdict(list)
    for k, s in rows:
        middles[k].append(int(s))
    return {k: median(v) for k, v in middles.items()}  # type: ignore[misc]


def year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The programme year as stored instants: from its first midnight in China to the next year's."""
    return clock.china_midnight(year_start(year)), clock.china_midnight(year_start(year + 1))
