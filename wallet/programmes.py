"""The programme: a year's budget, enterprise cap, layer ratios, application window and settlement
dates (第十五条), set and changed by the authority, with the figures the programme page shows. Each
use case commits on success. Quota applications and wallets are ``wallet.services``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from shop import clock, policy
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import ConflictingInput, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.money import format_fen
from shop.states import Role
from wallet import ledger, versions
from wallet.commands import ProgrammeInput, check_programme_dates
from wallet.models import LedgerAccount, Programme, QuotaApplication, SettlementDate
from wallet.states import AccountKind, ApplicationStatus

# Checks the claims work registers: given a year and the settlement dates an edit would remove,
# return the dates that claims still wait on (an edit removing them is refused).
SETTLEMENT_DATE_GUARDS: list[Callable[[Session, int, list[dt.date]], list[dt.date]]] = []


@use_case
def create_programme(session: Session, actor: User, values: ProgrammeInput) -> Programme:
    """The authority sets a year's programme; its budget moves from the public purse to the budget.
    The province-wide programme is the province's authority's (a city's or district's has its own)."""
    if actor.role != Role.AUTHORITY or not actor.oversees(policy.current().province_prefix):
        raise Forbidden()
    year = values.year
    if session.scalars(select(Programme.id).where(province_wide(year))).first() is not None:
        raise ValidationError({"year": [_l("There is already a programme for %(year)d.", year=year)]})
    programme = Programme(
        preset="guizhou",
        jurisdiction=policy.current().province_prefix,
        year=year,
        budget_fen=values.budget_fen,
        enterprise_cap_fen=values.enterprise_cap_fen,
        ratio_infrastructure=values.ratios["infrastructure"],
        ratio_platform=values.ratios["platform"],
        ratio_application=values.ratios["application"],
        applications_open_on=values.opens_on,
        applications_close_on=values.closes_on,
        created_by_id=actor.id,
    )
    programme.settlement_dates = [SettlementDate(day=d) for d in sorted(values.settlement_dates or [])]
    session.add(programme)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ValidationError({"year": [_l("There is already a programme for %(year)d.", year=year)]}) from None
    versions.add_guizhou_version(session, programme, actor)
    if programme.budget_fen:
        ledger.fund_programme(session, year, programme.budget_fen, actor.id)
    record(session, actor, "programme", programme.id, "create_programme", None, programme.audit_state())
    session.commit()
    return programme


@use_case
def update_programme(session: Session, actor: User, year: int, values: ProgrammeInput) -> Programme:
    """Change a programme; refused when the change breaks what is committed (a budget below what
    applications hold, a settlement date claims wait on)."""
    if actor.role != Role.AUTHORITY:
        raise Forbidden()
    programme = get_programme(session, year, for_update=True)
    if not actor.oversees(programme.jurisdiction):
        raise Forbidden()
    opens = values.opens_on or programme.applications_open_on
    closes = values.closes_on or programme.applications_close_on
    check_programme_dates(year, values.settlement_dates, opens, closes)
    before = programme.audit_state()
    if values.budget_fen is not None:
        change_budget(session, actor, programme, year, values.budget_fen)
    if values.enterprise_cap_fen is not None:
        programme.enterprise_cap_fen = values.enterprise_cap_fen
    for layer, value in values.ratios.items():
        if value is not None:
            setattr(programme, f"ratio_{layer}", value)
    programme.applications_open_on, programme.applications_close_on = opens, closes
    if values.settlement_dates is not None:
        change_settlement_dates(session, programme, values.settlement_dates)
    session.flush()
    session.refresh(programme, ["settlement_dates"])
    if (
        programme.preset == "guizhou"
        and versions.guizhou_overrides(programme) != versions.current(session, programme).overrides
    ):
        versions.add_guizhou_version(session, programme, actor)
    record(session, actor, "programme", programme.id, "update_programme", before, programme.audit_state())
    session.commit()
    return programme


def change_budget(
    session: Session, actor: User, programme: Programme, book: ledger.YearOrBook, budget_fen: int
) -> None:
    """Fund or defund the programme's budget to ``budget_fen`` (never below what applications hold)."""
    delta = budget_fen - programme.budget_fen
    ref = programme.id if isinstance(book, ledger.Book) else None  # the year's programme: by its year
    if delta > 0:
        ledger.fund_programme(session, book, delta, actor.id, ref)
    elif delta < 0:
        committed = programme.budget_fen - ledger.balance(session, AccountKind.BUDGET, book)
        try:
            ledger.defund_programme(session, book, -delta, actor.id, ref)
        except ledger.InsufficientVouchers:
            raise ConflictingInput(
                _l(
                    "The budget cannot go below what applications already hold (%(amount)s).",
                    amount=format_fen(committed),
                ),
                field="budget_fen",
            ) from None
    programme.budget_fen = budget_fen


def change_settlement_dates(session: Session, programme: Programme, dates: list[dt.date]) -> None:
    """Set the settlement dates; refused for a date claims wait on or one that has passed."""
    old = {d.day for d in programme.settlement_dates}
    new = set(dates)
    removed = sorted(old - new)
    waited_on = sorted({d for guard in SETTLEMENT_DATE_GUARDS for d in guard(session, programme.year, removed)})
    if waited_on:
        raise ConflictingInput(
            _l("Claims wait on the settlement date %(day)s: it cannot be removed.", day=waited_on[0].isoformat()),
            field="settlement_dates",
        )
    past_removed = [d for d in removed if d < clock.today()]
    if past_removed:
        raise ConflictingInput(
            _l("The settlement date %(day)s has passed: it cannot be removed.", day=past_removed[0].isoformat()),
            field="settlement_dates",
        )
    programme.settlement_dates = [d for d in programme.settlement_dates if d.day in new] + [
        SettlementDate(day=d) for d in sorted(new - old)
    ]


def province_wide(year: int):  # type: ignore[no-untyped-def]
    """The programme ``year`` alone names (API.md): the province-wide one of that year."""
    return (Programme.year == year) & (Programme.book == str(year))


def get_programme(session: Session, year: int, *, for_update: bool = False) -> Programme:
    stmt = select(Programme).where(province_wide(year)).options(selectinload(Programme.settlement_dates))
    if for_update:
        stmt = stmt.with_for_update(of=Programme)
    programme = session.scalars(stmt).one_or_none()
    if programme is None:
        raise NotFound(_l("There is no programme for %(year)d.", year=year))
    return programme


def find_programme(session: Session, year: int) -> Programme | None:
    return session.scalars(select(Programme).where(province_wide(year))).one_or_none()


def list_programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).order_by(Programme.year.desc())))


@dataclass(frozen=True)
class ProgrammeFigures:
    budget_fen: int
    reserved_fen: int  # held for pending applications
    granted_fen: int
    remaining_fen: int  # what new applications can still get
    applications: int
    pending: int


def programme_figures(session: Session, programme: Programme) -> ProgrammeFigures:
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((QuotaApplication.status == ApplicationStatus.PENDING, 1), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case((QuotaApplication.status == ApplicationStatus.PENDING, QuotaApplication.reserved_fen), else_=0)
                ),
                0,
            ),
            func.coalesce(
                func.sum(
                    case(
                        (
                            QuotaApplication.status == ApplicationStatus.GRANTED,
                            QuotaApplication.granted_fen - QuotaApplication.released_fen,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
        ).where(QuotaApplication.programme_id == programme.id)
    ).one()
    # the programme's budget with its blocks (``<book>@<jurisdiction>``)
    remaining = int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerAccount.balance_fen), 0)).where(
                LedgerAccount.kind == AccountKind.BUDGET,
                (LedgerAccount.book == programme.book) | LedgerAccount.book.startswith(f"{programme.book}@"),
            )
        )
        or 0
    )
    return ProgrammeFigures(programme.budget_fen, int(row[2]), int(row[3]), remaining, int(row[0]), int(row[1]))


def grants_over_time(session: Session, year: int) -> list[tuple[dt.date, int, int]]:
    """(day, granted that day, granted so far) for the programme page's chart."""
    day = func.date(QuotaApplication.decided_at)
    rows = session.execute(
        select(day, func.sum(QuotaApplication.granted_fen))
        .where(QuotaApplication.year == year, QuotaApplication.status == ApplicationStatus.GRANTED)
        .group_by(day)
        .order_by(day)
    ).all()
    out, total = [], 0
    for d, amount in rows:
        total += int(amount)
        out.append((d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)), int(amount), total))
    return out


def programme_ratios(session: Session, year: int) -> dict[str, int] | None:
    """The ratio source registered with ``shop.hooks`` (the catalogue shows each layer's share)."""
    programme = session.scalars(select(Programme).where(province_wide(year))).one_or_none()
    return programme.ratios if programme else None
