"""The working-day calendar of the platform: the operator's overrides (``Holiday``) of what
``shop.clock`` knows from the Chinese holiday calendar, and working days counted with them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy import Boolean, Date, ForeignKey, String, and_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.clock import now
from shop.db import Base, use_case
from shop.errors import Forbidden, NotFound
from shop.inputs import Inputs
from shop.policy import year_end, year_start
from shop.states import Role


class Holiday(Base):
    """The operator's overrides of the working-day calendar (a statutory holiday or an adjusted
    working day the library does not know yet, e.g. next year's before it is published)."""

    __tablename__ = "holidays"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)


def working_day_overrides(
    session: Session, start: dt.date | None = None, end: dt.date | None = None
) -> dict[dt.date, bool]:
    stmt = select(Holiday.day, Holiday.is_working_day)
    if start:
        stmt = stmt.where(Holiday.day >= start)
    if end:
        stmt = stmt.where(Holiday.day <= end)
    return {day: working for day, working in session.execute(stmt).all()}


def add_working_days(session: Session, start: dt.date, n: int) -> dt.date:
    """``clock.add_working_days`` with the operator's holiday table."""
    return clock.add_working_days(
        start, n, working_day_overrides(session, start, start + dt.timedelta(days=n * 7 + 60))
    )


@dataclass(frozen=True)
class HolidayInput:
    """The operator's entry for one day: a working day or not, and why (a holiday's name)."""

    day: dt.date
    is_working_day: bool
    note: str

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        day = inputs.date("day")
        is_working_day = inputs.boolean("is_working_day")
        note = inputs.text("note", max_length=200)
        inputs.check()
        return cls(day, is_working_day, note)


@use_case
def set_holiday(session: Session, actor: User, entry: HolidayInput) -> Holiday:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    day, is_working_day, note = entry.day, entry.is_working_day, entry.note
    holiday = session.get(Holiday, day)
    before = {"is_working_day": holiday.is_working_day, "note": holiday.note} if holiday else None
    if holiday is None:
        holiday = Holiday(day=day)
        session.add(holiday)
    holiday.is_working_day, holiday.note, holiday.updated_by_id, holiday.updated_at = (
        is_working_day,
        note,
        actor.id,
        clock.now(),
    )
    record(
        session,
        actor,
        "holiday",
        int(day.strftime("%Y%m%d")),
        "set_holiday",
        before,
        {"day": day, "is_working_day": is_working_day, "note": note},
    )
    session.commit()
    return holiday


@use_case
def delete_holiday(session: Session, actor: User, day: dt.date) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    holiday = session.get(Holiday, day)
    if holiday is None:
        raise NotFound()
    record(
        session,
        actor,
        "holiday",
        int(day.strftime("%Y%m%d")),
        "delete_holiday",
        {"day": day, "is_working_day": holiday.is_working_day, "note": holiday.note},
        None,
    )
    session.delete(holiday)
    session.commit()


def list_holidays(session: Session, year: int) -> list[Holiday]:
    return list(
        session.scalars(
            select(Holiday)
            .where(and_(Holiday.day >= year_start(year), Holiday.day <= year_end(year)))
            .order_by(Holiday.day)
        )
    )
