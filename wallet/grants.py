"""Grants under a programme's policy (``shop.presets``): an application for a scheme with the facts its
cap depends on, the review (a grant of less than the cap, with a reason), the public notice before a
grant takes effect and the 复核 that holds it, and the return of what a grant does not use (by the
operator, or by the policy after its days unused). Each use case commits on success.

Where the money is: ``wallet.ledger.Book`` of the programme (its budget, or the block of the
applicant's region) and of the scheme (the enterprise's accounts). The province-wide Guizhou
programme of a year keeps the year as its book, so the first round's code paths and this one agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orgs.blacklist import is_blacklisted
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.calendar import add_working_days
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Decision
from shop.money import format_fen
from shop.presets import Rules
from shop.states import Role
from wallet import ledger, versions
from wallet.models import Programme, QuotaApplication
from wallet.rules import Applicant, Window, eligibility_failures, grant_amount, scheme_cap
from wallet.states import QUOTA_APPLICATION, AccountKind, ApplicationStatus

# statuses whose amount still sits in ``reserved_fen`` (not yet in the wallet, not yet returned)
HELD = (ApplicationStatus.PENDING, ApplicationStatus.RETURNED, ApplicationStatus.IN_NOTICE, ApplicationStatus.ON_HOLD)


def get_by_code(session: Session, code: str, *, for_update: bool = False) -> Programme:
    stmt = select(Programme).where(Programme.code == code)
    if for_update:
        stmt = stmt.with_for_update(of=Programme)
    programme = session.scalars(stmt).one_or_none()
    if programme is None:
        raise NotFound(_l("There is no programme %(code)s.", code=code))
    return programme


def book_for(programme: Programme, scheme: str, region_code: str | None, rules: Rules) -> ledger.Book:
    """The accounts an application of ``scheme`` by an organisation of ``region_code`` moves: the
    budget block of the longest allocated jurisdiction covering the region (else the programme's
    budget), and the scheme's wallet."""
    if programme.book == str(programme.year) and scheme == "default":
        return ledger.Book.of_year(programme.year)
    blocks = [j for j in rules.blocks if region_code and region_code.startswith(j)]
    budget = f"{programme.book}@{max(blocks, key=len)}" if blocks else programme.book
    return ledger.Book(budget, f"{programme.book}/{scheme}", programme.year, programme.ends_on)


def application_book(session: Session, application: QuotaApplication) -> tuple[ledger.Book, Rules]:
    programme = session.get(Programme, application.programme_id)
    rules = versions.rules_of(session, programme, application.policy_version)
    org = session.get(Organisation, application.organisation_id)
    return book_for(programme, application.scheme, org.region_code, rules), rules


def _related(programme: Programme):  # type: ignore[no-untyped-def]
    """The programmes an enterprise's history counts across: the same preset in the same jurisdiction."""
    return select(Programme.id).where(
        Programme.preset == programme.preset, Programme.jurisdiction == programme.jurisdiction
    )


def _held_or_granted():  # type: ignore[no-untyped-def]
    """What an application counts toward a yearly total: its reservation while undecided, its grant
    less what it gave back once granted."""
    return case(
        (QuotaApplication.status.in_(HELD), QuotaApplication.reserved_fen),
        (
            QuotaApplication.status == ApplicationStatus.GRANTED,
            QuotaApplication.granted_fen - QuotaApplication.released_fen,
        ),
        else_=0,
    )


def yearly_used_fen(session: Session, org_id: int, programme: Programme) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(_held_or_granted()), 0)).where(
                QuotaApplication.organisation_id == org_id,
                QuotaApplication.year == programme.year,
                QuotaApplication.programme_id.in_(_related(programme)),
            )
        )
        or 0
    )


def _history(session: Session, org_id: int, programme: Programme, scheme: str) -> list[QuotaApplication]:
    return list(
        session.scalars(
            select(QuotaApplication).where(
                QuotaApplication.organisation_id == org_id,
                QuotaApplication.scheme == scheme,
                QuotaApplication.programme_id.in_(_related(programme)),
                QuotaApplication.programme_id != programme.id,
                QuotaApplication.status != ApplicationStatus.REJECTED,
            )
        )
    )


def _failures(session: Session, org: Organisation, programme: Programme, rules: Rules) -> list:
    blacklisted = is_blacklisted(session, org.uscc)
    applicant = Applicant(org.kind.value, org.status.value, org.established_on, org.region_code, blacklisted)
    failures = eligibility_failures(
        applicant,
        clock.today(),
        province_prefix=programme.jurisdiction,
        window=Window(programme.applications_open_on, programme.applications_close_on),
        min_established_years=rules.min_established_years,
        place=programme.title or programme.code,
        kinds=rules.eligible_kinds,
    )
    return failures


def failures_of(session: Session, org: Organisation, programme: Programme) -> list:
    """Why ``org`` cannot apply to ``programme`` today (empty: it can), for the page that offers it."""
    return _failures(session, org, programme, versions.rules_of(session, programme))


@use_case
def apply(session: Session, actor: User, code: str, scheme_key: str, facts: dict[str, Any]) -> QuotaApplication:
    """An enterprise applies for ``scheme_key`` of the programme ``code``: 先到先得, it reserves the
    scheme's cap for its facts, or what the budget (block) or its yearly total has left when less."""
    if actor.role != Role.ENTERPRISE or actor.organisation_id is None:
        raise Forbidden()
    programme = get_by_code(session, code)
    rules = versions.rules_of(session, programme)
    scheme = rules.scheme(scheme_key)
    if scheme is None:
        raise ValidationError({"scheme": [_l("This programme has no such scheme.")]})
    if scheme.flow != "quota":
        raise ValidationError({"scheme": [_l("This scheme is not applied for before buying.")]})
    # the enterprise's row is locked for the decision: its applications to programmes with other
    # budgets are served one after the other too, so a yearly total across them holds (PostgreSQL;
    # SQLite's BEGIN IMMEDIATE already serialises writers)
    org = session.scalars(select(Organisation).where(Organisation.id == actor.organisation_id).with_for_update()).one()
    failures = _failures(session, org, programme, rules)
    if failures:
        raise DomainError("not_eligible", failures[0], errors={"programme": failures})
    history = _history(session, org.id, programme, scheme.key)
    if scheme.frequency == "once_ever" and history:
        raise DomainError(
            "not_eligible", _l("%(scheme)s is granted once only, and was granted before.", scheme=scheme.title)
        )
    subscription_year = 1 + sum(1 for a in history if a.status == ApplicationStatus.GRANTED)
    years = scheme.max_years or (len(scheme.ratio_by_year) if scheme.ratio_by_year else None)
    if years is not None and subscription_year > years:
        raise DomainError(
            "not_eligible", _l("%(scheme)s is subsidised for %(n)d years, all used.", scheme=scheme.title, n=years)
        )
    cap, errors = scheme_cap(scheme, facts)
    if errors:
        raise ValidationError(errors)
    book = book_for(programme, scheme.key, org.region_code, rules)
    budget = ledger.lock_account(session, AccountKind.BUDGET, book)
    yearly_left = None
    if rules.yearly_total_fen is not None:
        yearly_left = rules.yearly_total_fen - yearly_used_fen(session, org.id, programme)
        if yearly_left <= 0:
            raise DomainError(
                "not_eligible",
                _l(
                    "The enterprise has reached this year's total of %(amount)s.",
                    amount=format_fen(rules.yearly_total_fen),
                ),
            )
    amount = grant_amount(cap, budget.balance_fen, yearly_left)
    if amount <= 0:
        raise DomainError("budget_exhausted", _l("The budget is used up: no more vouchers are granted."))
    application = QuotaApplication(
        programme_id=programme.id,
        year=programme.year,
        scheme=scheme.key,
        facts=dict(facts) or None,
        policy_version=programme.policy_version,
        subscription_year=subscription_year,
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
            "quota_already_applied", _l("%(name)s has already applied for this scheme.", name=org.name)
        ) from None
    ledger.reserve_quota(session, book, org.id, amount, application.id, actor.id)
    record(session, actor, "quota_application", application.id, "apply", None, application.audit_state())
    session.commit()
    return application


def decide(
    session: Session, actor: User, application: QuotaApplication, decision: Decision, granted_fen: int | None
) -> QuotaApplication:
    """The operator's decision on a locked application, in the caller's transaction. A grant may be
    for less than was reserved (with a reason): the difference goes back to the budget at once. Where
    the policy publishes grants first, the grant goes into its notice and takes effect after it."""
    book, rules = application_book(session, application)
    if not decision.approve:
        QUOTA_APPLICATION.next(application.status, "reject")
        if application.reserved_fen:
            ledger.release_reservation(
                session, book, application.organisation_id, application.reserved_fen, application.id, actor.id
            )
        change_state(
            session,
            application,
            QUOTA_APPLICATION,
            "reject",
            actor,
            subject_type="quota_application",
            granted_fen=0,
            reason=decision.reason,
            decided_at=clock.now(),
            decided_by_id=actor.id,
        )
        return application
    amount = application.reserved_fen if granted_fen is None else granted_fen
    if not 0 < amount <= application.reserved_fen:
        raise ValidationError(
            {"granted_fen": [_l("Between ¥0.01 and %(amount)s.", amount=format_fen(application.reserved_fen))]}
        )
    if amount < application.reserved_fen and not decision.reason:
        raise ValidationError({"reason": [_l("Say why less than the cap is granted.")]})
    action = "publish" if rules.notice_before_grant_working_days else "grant"
    QUOTA_APPLICATION.next(application.status, action)
    ensure_not_sanctioned(session, application.organisation_id)  # a sanctioned enterprise is not paid
    if amount < application.reserved_fen:
        ledger.release_reservation(
            session, book, application.organisation_id, application.reserved_fen - amount, application.id, actor.id
        )
    changes: dict[str, Any] = {}
    if action == "grant":
        ledger.grant_quota(session, book, application.organisation_id, amount, application.id, actor.id)
        changes["valid_until"] = valid_until(rules, clock.today())
    else:
        changes["notice_ends_on"] = add_working_days(session, clock.today(), rules.notice_before_grant_working_days)
    change_state(
        session,
        application,
        QUOTA_APPLICATION,
        action,
        actor,
        subject_type="quota_application",
        reserved_fen=application.reserved_fen if action == "grant" else amount,
        granted_fen=amount,
        reason=decision.reason,
        decided_at=clock.now(),
        decided_by_id=actor.id,
        **changes,
    )
    return application


def takes_effect_on(session: Session, application: QuotaApplication, rules: Rules) -> dt.date | None:
    """The first day a grant in its notice may take effect: after the notice and, where the policy
    allows a 复核 after it, after that window too (so that a request can still hold the grant)."""
    if application.notice_ends_on is None:
        return None
    last = application.notice_ends_on
    if rules.reconsideration is not None:
        last = add_working_days(session, last, rules.reconsideration.request_working_days)
    return last + dt.timedelta(days=1)


def valid_until(rules: Rules, took_effect_on: dt.date) -> dt.date | None:
    """The last day a grant can be spent when the policy limits it to days from the grant."""
    if rules.validity_days is None:
        return None
    return took_effect_on + dt.timedelta(days=rules.validity_days - 1)


def issue(session: Session, application: QuotaApplication, actor: User | None) -> QuotaApplication:
    book, rules = application_book(session, application)
    application.valid_until = valid_until(rules, clock.today())
    ledger.grant_quota(
        session,
        book,
        application.organisation_id,
        application.reserved_fen,
        application.id,
        actor.id if actor else None,
    )
    change_state(session, application, QUOTA_APPLICATION, "issue", actor, subject_type="quota_application")
    return application


@use_case
def issue_after_notice(session: Session, today: dt.date | None = None) -> int:
    """Daily: every grant whose notice (and 复核 window) has passed with nothing open takes effect.
    Safe to run any number of times. Commits."""
    today = today or clock.today()
    issued = 0
    for application in session.scalars(
        select(QuotaApplication)
        .where(QuotaApplication.status == ApplicationStatus.IN_NOTICE, QuotaApplication.notice_ends_on < today)
        .order_by(QuotaApplication.id)
        .with_for_update()
    ):
        _book, rules = application_book(session, application)
        effective = takes_effect_on(session, application, rules)
        if effective is not None and effective <= today:
            issue(session, application, None)
            issued += 1
    session.commit()
    return issued
