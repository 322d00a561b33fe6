"""Use cases of the programme and the quota (第十五条, 第十六条, 四(二)). Each commits on success."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from orgs.models import BlacklistEntry, Organisation
from orgs.sanctions import ensure_not_sanctioned
from shop import clock, policy
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import ConflictingInput, DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Decision
from shop.money import format_fen
from shop.pagination import Page, paginate
from shop.policy import year_end
from shop.states import Role
from wallet import ledger
from wallet.commands import ProgrammeInput, check_programme_dates
from wallet.models import LedgerAccount, LedgerEntry, LedgerPosting, Programme, QuotaApplication, SettlementDate
from wallet.rules import Applicant, Window, eligibility_failures, grant_size
from wallet.states import QUOTA_APPLICATION, AccountKind, ApplicationStatus

# Checks the claims work registers: given a year and the settlement dates an edit would remove,
# return the dates that claims still wait on (an edit removing them is refused).
SETTLEMENT_DATE_GUARDS: list[Callable[[Session, int, list[dt.date]], list[dt.date]]] = []


# -- programmes ---------------------------------------------------------------------------------


@use_case
def create_programme(session: Session, actor: User, values: ProgrammeInput) -> Programme:
    """The authority sets a year's programme; its budget moves from the public purse to the budget."""
    if actor.role != Role.AUTHORITY:
        raise Forbidden()
    year = values.year
    if session.scalars(select(Programme.id).where(Programme.year == year)).first() is not None:
        raise ValidationError({"year": [_l("There is already a programme for %(year)d.", year=year)]})
    programme = Programme(
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
    opens = values.opens_on or programme.applications_open_on
    closes = values.closes_on or programme.applications_close_on
    check_programme_dates(year, values.settlement_dates, opens, closes)
    before = programme.audit_state()
    if values.budget_fen is not None and values.budget_fen != programme.budget_fen:
        delta = values.budget_fen - programme.budget_fen
        if delta > 0:
            ledger.fund_programme(session, year, delta, actor.id)
        else:
            committed = programme.budget_fen - ledger.balance(session, AccountKind.BUDGET, year)
            try:
                ledger.defund_programme(session, year, -delta, actor.id)
            except ledger.InsufficientVouchers:
                raise ConflictingInput(
                    _l(
                        "The budget cannot go below what applications already hold (%(amount)s).",
                        amount=format_fen(committed),
                    ),
                    field="budget_fen",
                ) from None
        programme.budget_fen = values.budget_fen
    if values.enterprise_cap_fen is not None:
        programme.enterprise_cap_fen = values.enterprise_cap_fen
    for layer, value in values.ratios.items():
        if value is not None:
            setattr(programme, f"ratio_{layer}", value)
    programme.applications_open_on, programme.applications_close_on = opens, closes
    if values.settlement_dates is not None:
        old = {d.day for d in programme.settlement_dates}
        new = set(values.settlement_dates)
        removed = sorted(old - new)
        today = clock.today()
        waited_on = sorted({d for guard in SETTLEMENT_DATE_GUARDS for d in guard(session, year, removed)})
        if waited_on:
            raise ConflictingInput(
                _l("Claims wait on the settlement date %(day)s: it cannot be removed.", day=waited_on[0].isoformat()),
                field="settlement_dates",
            )
        past_removed = [d for d in removed if d < today]
        if past_removed:
            raise ConflictingInput(
                _l("The settlement date %(day)s has passed: it cannot be removed.", day=past_removed[0].isoformat()),
                field="settlement_dates",
            )
        programme.settlement_dates = [d for d in programme.settlement_dates if d.day in new] + [
            SettlementDate(day=d) for d in sorted(new - old)
        ]
    session.flush()
    session.refresh(programme, ["settlement_dates"])
    record(session, actor, "programme", programme.id, "update_programme", before, programme.audit_state())
    session.commit()
    return programme


def get_programme(session: Session, year: int, *, for_update: bool = False) -> Programme:
    stmt = select(Programme).where(Programme.year == year).options(selectinload(Programme.settlement_dates))
    if for_update:
        stmt = stmt.with_for_update(of=Programme)
    programme = session.scalars(stmt).one_or_none()
    if programme is None:
        raise NotFound(_l("There is no programme for %(year)d.", year=year))
    return programme


def find_programme(session: Session, year: int) -> Programme | None:
    return session.scalars(select(Programme).where(Programme.year == year)).one_or_none()


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
            func.coalesce(func.sum(QuotaApplication.granted_fen), 0),
        ).where(QuotaApplication.year == programme.year)
    ).one()
    remaining = ledger.balance(session, AccountKind.BUDGET, programme.year)
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
    programme = session.scalars(select(Programme).where(Programme.year == year)).one_or_none()
    return programme.ratios if programme else None


# -- quota applications -------------------------------------------------------------------------


def _applicant(session: Session, org: Organisation) -> Applicant:
    blacklisted = session.scalars(select(BlacklistEntry.id).where(BlacklistEntry.uscc == org.uscc)).first() is not None
    return Applicant(org.kind.value, org.status.value, org.established_on, org.region_code, blacklisted)


def eligibility(session: Session, org: Organisation, programme: Programme, on_day: dt.date) -> list:
    programme_policy = policy.current()
    return eligibility_failures(
        _applicant(session, org),
        on_day,
        province_prefix=programme_policy.province_prefix,
        window=Window(programme.applications_open_on, programme.applications_close_on),
        min_established_years=programme_policy.min_established_years,
    )


@use_case
def apply_for_quota(session: Session, actor: User, year: int) -> QuotaApplication:
    """先申先得: the application reserves min(cap, what the budget has left) from the budget at the
    moment it is accepted. The budget row is locked for the decision, so parallel applications are
    served strictly one after the other and never above the budget."""
    if actor.role != Role.ENTERPRISE or actor.organisation_id is None:
        raise Forbidden()
    programme = get_programme(session, year)
    org = session.get(Organisation, actor.organisation_id)
    failures = eligibility(session, org, programme, clock.today())
    if failures:
        raise DomainError("not_eligible", failures[0], errors={"year": failures})
    if _existing_application(session, org.id, year) is not None:
        raise DomainError(
            "quota_already_applied", _l("%(name)s has already applied for %(year)d.", name=org.name, year=year)
        )
    budget = ledger.lock_account(session, AccountKind.BUDGET, year)
    amount = grant_size(programme.enterprise_cap_fen, budget.balance_fen)
    if amount <= 0:
        raise DomainError(
            "budget_exhausted", _l("The %(year)d budget is used up: no more vouchers are granted this year.", year=year)
        )
    application = QuotaApplication(
        programme_id=programme.id,
        year=year,
        organisation_id=org.id,
        applied_at=clock.now(),
        applied_by_id=actor.id,
        reserved_fen=amount,
        granted_fen=0,
        status=ApplicationStatus.PENDING,
    )
    session.add(application)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DomainError(
            "quota_already_applied", _l("%(name)s has already applied for %(year)d.", name=org.name, year=year)
        ) from None
    ledger.reserve_quota(session, year, org.id, amount, application.id, actor.id)
    record(session, actor, "quota_application", application.id, "apply", None, application.audit_state())
    session.commit()
    return application


def _existing_application(session: Session, org_id: int, year: int) -> QuotaApplication | None:
    return session.scalars(
        select(QuotaApplication).where(QuotaApplication.organisation_id == org_id, QuotaApplication.year == year)
    ).one_or_none()


@use_case
def review_application(session: Session, actor: User, application_id: int, decision: Decision) -> QuotaApplication:
    """The operator grants the reservation (it goes to the enterprise's wallet) or rejects it (it goes
    back to the budget, for the next applicant)."""
    application = _decide_application(session, actor, application_id, decision)
    session.commit()
    return application


@use_case
def review_applications(
    session: Session, actor: User, application_ids: list[int], decision: Decision
) -> list[QuotaApplication]:
    """Decide many at once (in order of arrival), all or none."""
    if not application_ids:
        raise ValidationError({"application_ids": [_l("Choose at least one application.")]})
    decided = [_decide_application(session, actor, i, decision) for i in sorted(set(application_ids))]
    session.commit()
    return decided


def _decide_application(session: Session, actor: User, application_id: int, decision: Decision) -> QuotaApplication:
    """One decision, in the caller's transaction (never commits)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    application = session.scalars(
        select(QuotaApplication).where(QuotaApplication.id == application_id).with_for_update()
    ).one_or_none()
    if application is None:
        raise NotFound()
    action, reason = ("grant" if decision.approve else "reject"), decision.reason
    QUOTA_APPLICATION.next(application.status, action)
    if action == "grant":
        ensure_not_sanctioned(session, application.organisation_id)  # a sanctioned enterprise is not paid
        ledger.grant_quota(
            session, application.year, application.organisation_id, application.reserved_fen, application.id, actor.id
        )
        granted = application.reserved_fen
    else:
        ledger.release_reservation(
            session, application.year, application.organisation_id, application.reserved_fen, application.id, actor.id
        )
        granted = 0
    change_state(
        session,
        application,
        QUOTA_APPLICATION,
        action,
        actor,
        subject_type="quota_application",
        granted_fen=granted,
        reason=reason,
        decided_at=clock.now(),
        decided_by_id=actor.id,
    )
    return application


def application_queue(session: Session, page: int, per_page: int, *, status: str = "pending") -> Page[QuotaApplication]:
    stmt = select(QuotaApplication).options(selectinload(QuotaApplication.organisation)).order_by(QuotaApplication.id)
    if status in {s.value for s in ApplicationStatus}:
        stmt = stmt.where(QuotaApplication.status == status)
    return paginate(session, stmt, page, per_page)


def pending_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(QuotaApplication)
            .where(QuotaApplication.status == ApplicationStatus.PENDING)
        )
        or 0
    )


def get_application(session: Session, actor: User, application_id: int) -> QuotaApplication:
    application = session.get(QuotaApplication, application_id)
    if application is None or not (actor.is_staff or actor.belongs_to(application.organisation_id)):
        raise NotFound()
    return application


def applications_of(session: Session, org_id: int) -> list[QuotaApplication]:
    return list(
        session.scalars(
            select(QuotaApplication)
            .where(QuotaApplication.organisation_id == org_id)
            .order_by(QuotaApplication.year.desc())
        )
    )


# -- the wallet ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wallet:
    year: int
    organisation_id: int
    granted_fen: int
    available_fen: int
    in_orders_fen: int
    claimed_fen: int
    disbursed_fen: int
    expired_fen: int
    expires_on: dt.date
    application: QuotaApplication | None

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "granted_fen": self.granted_fen,
            "available_fen": self.available_fen,
            "in_orders_fen": self.in_orders_fen,
            "claimed_fen": self.claimed_fen,
            "disbursed_fen": self.disbursed_fen,
            "expired_fen": self.expired_fen,
            "expires_on": self.expires_on.isoformat(),
            "application_status": self.application.status.value if self.application else None,
        }


def wallet(session: Session, org_id: int, year: int) -> Wallet:
    balances = dict(
        session.execute(
            select(LedgerAccount.kind, LedgerAccount.balance_fen).where(
                LedgerAccount.organisation_id == org_id, LedgerAccount.year == year
            )
        ).all()
    )
    application = _existing_application(session, org_id, year)
    return Wallet(
        year,
        org_id,
        application.granted_fen if application else 0,
        balances.get(AccountKind.AVAILABLE, 0),
        balances.get(AccountKind.IN_ORDERS, 0),
        balances.get(AccountKind.CLAIMED, 0),
        balances.get(AccountKind.DISBURSED, 0),
        balances.get(AccountKind.EXPIRED, 0),
        year_end(year),
        application,
    )


@dataclass(frozen=True)
class LedgerLine:
    at: dt.datetime
    kind: str
    ref_type: str | None
    ref_id: int | None
    amount_fen: int
    balance_fen: int


def wallet_lines_query(org_id: int, year: int):  # type: ignore[no-untyped-def]
    """Every movement of the enterprise's available vouchers with the running balance after it,
    newest first (a window function, so a page of lines is one query)."""
    running = func.sum(LedgerPosting.amount_fen).over(order_by=LedgerPosting.id)
    inner = (
        select(
            LedgerPosting.id.label("posting_id"),
            LedgerEntry.at,
            LedgerEntry.kind,
            LedgerEntry.ref_type,
            LedgerEntry.ref_id,
            LedgerPosting.amount_fen,
            running.label("balance_fen"),
        )
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerAccount.code == ledger.account_code(AccountKind.AVAILABLE, year, org_id))
        .subquery()
    )
    return select(inner).order_by(inner.c.posting_id.desc())


def wallet_lines(session: Session, org_id: int, year: int, page: int, per_page: int) -> Page[LedgerLine]:
    result = paginate(session, wallet_lines_query(org_id, year), page, per_page, scalars=False)
    result.items = [
        LedgerLine(r.at, r.kind, r.ref_type, r.ref_id, int(r.amount_fen), int(r.balance_fen)) for r in result.items
    ]
    return result


# -- year end -----------------------------------------------------------------------------------


@use_case
def expire_past_years(session: Session) -> int:
    """第十六条: a quota expires at the end of its year. Moves every unused voucher of an ended year
    to expired; safe to run any number of times (nothing left, nothing moved). Commits."""
    this_year = clock.today().year
    years = list(
        session.scalars(
            select(LedgerAccount.year)
            .where(
                LedgerAccount.kind == AccountKind.AVAILABLE,
                LedgerAccount.year < this_year,
                LedgerAccount.balance_fen > 0,
            )
            .distinct()
        )
    )
    total = 0
    for year in sorted(years):
        total += ledger.expire_year(session, year)
    if total:
        record(
            session,
            None,
            "programme",
            _programme_id(session, years[0]),
            "expire_quotas",
            None,
            {"years": sorted(years), "expired_fen": total},
        )
    session.commit()
    return total


def _programme_id(session: Session, year: int) -> int:
    return session.scalar(select(Programme.id).where(Programme.year == year)) or 0
