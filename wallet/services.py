"""Use cases of the quota (第十六条, 四(二)): applications and their review, the enterprise's wallet and
the year end. Each commits on success. The programme itself is ``wallet.programmes``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from orgs.blacklist import is_blacklisted
from orgs.models import Organisation
from orgs.services import in_jurisdiction
from shop import clock, policy
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Decision
from shop.pagination import Page, paginate
from shop.policy import year_end
from shop.states import Role
from wallet import grants, ledger
from wallet.models import LedgerAccount, LedgerEntry, LedgerPosting, Programme, QuotaApplication
from wallet.programmes import get_programme, province_wide
from wallet.rules import Applicant, Window, eligibility_failures, grant_size
from wallet.states import AccountKind, ApplicationStatus

# -- quota applications -------------------------------------------------------------------------


def _applicant(session: Session, org: Organisation) -> Applicant:
    blacklisted = is_blacklisted(session, org.uscc)
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
        policy_version=programme.policy_version,
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
    """The enterprise's application to the province-wide programme of ``year`` (the old forms)."""
    return session.scalars(
        select(QuotaApplication)
        .join(Programme, Programme.id == QuotaApplication.programme_id)
        .where(QuotaApplication.organisation_id == org_id, province_wide(year))
    ).one_or_none()


@use_case
def review_application(
    session: Session, actor: User, application_id: int, decision: Decision, granted_fen: int | None = None
) -> QuotaApplication:
    """The operator grants the reservation, or ``granted_fen`` of it with a reason (it goes to the
    enterprise's wallet, or first into the public notice where the policy says so) or rejects it (it
    goes back to the budget, for the next applicant): ``wallet.grants.decide``."""
    application = _decide_application(session, actor, application_id, decision, granted_fen)
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


def _decide_application(
    session: Session, actor: User, application_id: int, decision: Decision, granted_fen: int | None = None
) -> QuotaApplication:
    """One decision, in the caller's transaction (never commits)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    application = session.scalars(
        select(QuotaApplication).where(QuotaApplication.id == application_id).with_for_update()
    ).one_or_none()
    if application is None or not actor.oversees(application.organisation.region_code):
        raise NotFound()
    return grants.decide(session, actor, application, decision, granted_fen)


def application_queue(
    session: Session, actor: User, page: int, per_page: int, *, status: str = "pending"
) -> Page[QuotaApplication]:
    """The applications of the actor's jurisdiction, in order of arrival."""
    stmt = select(QuotaApplication).options(selectinload(QuotaApplication.organisation)).order_by(QuotaApplication.id)
    stmt = stmt.where(in_jurisdiction(QuotaApplication.organisation_id, actor.jurisdiction))
    if status in {s.value for s in ApplicationStatus}:
        stmt = stmt.where(QuotaApplication.status == status)
    return paginate(session, stmt, page, per_page)


def pending_count(session: Session, actor: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(QuotaApplication)
            .where(QuotaApplication.status == ApplicationStatus.PENDING)
            .where(in_jurisdiction(QuotaApplication.organisation_id, actor.jurisdiction))
        )
        or 0
    )


def get_application(session: Session, actor: User, application_id: int) -> QuotaApplication:
    application = session.get(QuotaApplication, application_id)
    if application is None or not (
        actor.oversees(application.organisation.region_code) or actor.belongs_to(application.organisation_id)
    ):
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
            "programme": self.application.programme.code if self.application else None,
            "scheme": self.application.scheme if self.application else "default",
        }


def application_in(session: Session, org_id: int, code: str, scheme: str | None) -> QuotaApplication:
    """The enterprise's application to the programme ``code`` (for ``scheme``, or its first one)."""
    programme = grants.get_by_code(session, code)
    stmt = select(QuotaApplication).where(
        QuotaApplication.organisation_id == org_id, QuotaApplication.programme_id == programme.id
    )
    if scheme:
        stmt = stmt.where(QuotaApplication.scheme == scheme)
    found = session.scalars(stmt.order_by(QuotaApplication.id)).first()
    if found is None:
        raise NotFound(_l("The enterprise has no wallet in %(code)s.", code=code))
    return found


def wallet(session: Session, org_id: int, year: int, application: QuotaApplication | None = None) -> Wallet:
    """The enterprise's wallet of the province-wide programme of ``year``, or of ``application``'s
    programme and scheme."""
    if application is None:
        application = _existing_application(session, org_id, year)
        book = str(year)
        expires_on = year_end(year)
    else:
        wallet_book, _rules = grants.application_book(session, application)
        book, expires_on, year = wallet_book.wallet, wallet_book.expires_on, application.year
        expires_on = min(expires_on, application.valid_until or expires_on)
    balances = dict(
        session.execute(
            select(LedgerAccount.kind, LedgerAccount.balance_fen).where(
                LedgerAccount.organisation_id == org_id, LedgerAccount.book == book
            )
        ).all()
    )
    return Wallet(
        year,
        org_id,
        application.granted_fen if application else 0,
        balances.get(AccountKind.AVAILABLE, 0),
        balances.get(AccountKind.IN_ORDERS, 0),
        balances.get(AccountKind.CLAIMED, 0),
        balances.get(AccountKind.DISBURSED, 0),
        balances.get(AccountKind.EXPIRED, 0),
        expires_on,
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
    """第十六条: a quota expires at the end of its year, and a programme's vouchers at its end. Moves
    every unused voucher of an ended year (the province-wide books) or of an ended programme (its
    schemes' books) to expired; safe to run any number of times (nothing left, nothing moved). Commits."""
    today = clock.today()
    years = list(
        session.scalars(
            select(LedgerAccount.year)
            .where(
                LedgerAccount.kind == AccountKind.AVAILABLE,
                LedgerAccount.year < today.year,
                LedgerAccount.book == cast(LedgerAccount.year, String),
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
    for programme in session.scalars(
        select(Programme).where(Programme.ends_on < today, Programme.book != cast(Programme.year, String))
    ):
        books = session.scalars(
            select(LedgerAccount.book)
            .where(
                LedgerAccount.kind == AccountKind.AVAILABLE,
                LedgerAccount.book.startswith(f"{programme.book}/"),
                LedgerAccount.balance_fen > 0,
            )
            .distinct()
        ).all()
        expired = sum(
            ledger.expire_year(session, ledger.Book(programme.book, book, programme.year, programme.ends_on))
            for book in sorted(books)
        )
        if expired:
            record(session, None, "programme", programme.id, "expire_quotas", None, {"expired_fen": expired})
            total += expired
    total += _expire_grants_past_their_days(session, today)
    session.commit()
    return total


def _expire_grants_past_their_days(session: Session, today: dt.date) -> int:
    """Grants valid for the policy's days from when they took effect (``validity_days``), past them."""
    total = 0
    for application in session.scalars(
        select(QuotaApplication)
        .where(QuotaApplication.status == ApplicationStatus.GRANTED, QuotaApplication.valid_until < today)
        .order_by(QuotaApplication.id)
    ):
        book, _rules = grants.application_book(session, application)
        expired = ledger.expire_year(session, book, application.organisation_id)
        if expired:
            record(session, None, "quota_application", application.id, "expire_quotas", None, {"expired_fen": expired})
            total += expired
    return total


def _programme_id(session: Session, year: int) -> int:
    return session.scalar(select(Programme.id).where(province_wide(year))) or 0
