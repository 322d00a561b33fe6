"""What the pages of programmes as policy read (``wallet.grant_views``): the programmes open to an
enterprise with their schemes, its applications (with the evidence of their facts) and wallets in
every programme, the cap its declared facts give, the window of a 复核 and the open 复核 requests.
Reading only: nothing here writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from orgs.models import Organisation
from orgs.services import in_jurisdiction
from shop.accounts import User
from shop.calendar import add_working_days
from shop.jurisdictions import covers
from shop.presets import Rules, Scheme
from wallet import application_documents, grants, ledger, policies, reconsiderations, services, versions
from wallet.models import ApplicationDocument, Programme, QuotaApplication, Reconsideration
from wallet.rules import scheme_cap
from wallet.states import AccountKind, ApplicationStatus


def is_province_wide(programme: Programme) -> bool:
    """The province-wide Guizhou programme of a year (its book is the year): applied for on the wallet
    page of that year, as in the first round."""
    return programme.book == str(programme.year)


@dataclass
class Offer:
    """A programme an enterprise may apply to, with its quota schemes and where it stands in each."""

    programme: Programme
    rules: Rules
    schemes: list[Scheme]
    failures: list
    applications: dict[str, QuotaApplication]
    yearly_left_fen: int | None

    @property
    def province_wide(self) -> bool:
        return is_province_wide(self.programme)


def open_programmes(session: Session, org: Organisation, today: dt.date) -> list[Offer]:
    """The programmes whose jurisdiction covers the enterprise's region and whose period holds
    ``today``, newest first."""
    offers = []
    for programme in policies.list_programmes(session):
        if not covers(programme.jurisdiction, org.region_code) or not programme.starts_on <= today <= programme.ends_on:
            continue
        rules = versions.rules_of(session, programme)
        applications = {
            a.scheme: a
            for a in session.scalars(
                select(QuotaApplication).where(
                    QuotaApplication.organisation_id == org.id, QuotaApplication.programme_id == programme.id
                )
            )
        }
        yearly_left = None
        if rules.yearly_total_fen is not None:
            yearly_left = max(0, rules.yearly_total_fen - grants.yearly_used_fen(session, org.id, programme))
        offers.append(
            Offer(
                programme,
                rules,
                [s for s in rules.schemes if s.flow == "quota"],
                grants.failures_of(session, org, programme),
                applications,
                yearly_left,
            )
        )
    return offers


def cap_for(scheme: Scheme, facts: dict) -> int | None:
    """The cap the declared facts give (None while they are incomplete or wrong)."""
    cap, errors = scheme_cap(scheme, facts)
    return None if errors else cap


@dataclass
class GrantRow:
    """One application of the enterprise and the wallet it opens."""

    application: QuotaApplication
    programme: Programme
    rules: Rules
    scheme: Scheme | None
    wallet: services.Wallet
    takes_effect_on: dt.date | None
    reconsiderations: list[Reconsideration] = field(default_factory=list)
    documents: list[ApplicationDocument] = field(default_factory=list)

    @property
    def evidence_facts(self) -> tuple[str, ...]:
        """What a document of this application may support: the scheme's facts, then ``other``."""
        return (*(self.scheme.asked_facts if self.scheme else ()), application_documents.OTHER)

    @property
    def title(self) -> str:
        return self.scheme.title if self.scheme else self.application.scheme

    @property
    def province_wide(self) -> bool:
        return is_province_wide(self.programme)


def grant_rows(session: Session, org_id: int) -> list[GrantRow]:
    """Every application of the enterprise in every programme and scheme, newest programme first."""
    rows = []
    applications = session.scalars(
        select(QuotaApplication)
        .where(QuotaApplication.organisation_id == org_id)
        .options(selectinload(QuotaApplication.programme))
        .order_by(QuotaApplication.year.desc(), QuotaApplication.id.desc())
    )
    applications = list(applications)
    documents: dict[int, list[ApplicationDocument]] = {}
    for document in session.scalars(
        select(ApplicationDocument)
        .where(ApplicationDocument.application_id.in_([a.id for a in applications]))
        .order_by(ApplicationDocument.id)
    ):
        documents.setdefault(document.application_id, []).append(document)
    for application in applications:
        programme = application.programme
        rules = versions.rules_of(session, programme, application.policy_version)
        wallet = services.wallet(session, org_id, application.year, application)
        rows.append(
            GrantRow(
                application,
                programme,
                rules,
                rules.scheme(application.scheme),
                wallet,
                grants.takes_effect_on(session, application, rules),
                reconsiderations.of_application(session, application.id),
                documents.get(application.id, []),
            )
        )
    return rows


def reconsideration_ends_on(session: Session, application: QuotaApplication, today: dt.date) -> dt.date | None:
    """The last day a 复核 of ``application`` may be asked for, while it still may be (else None)."""
    if application.status != ApplicationStatus.IN_NOTICE or application.notice_ends_on is None:
        return None
    _book, rules = grants.application_book(session, application)
    if rules.reconsideration is None:
        return None
    last = add_working_days(session, application.notice_ends_on, rules.reconsideration.request_working_days)
    return last if today <= last else None


def published(application: QuotaApplication) -> bool:
    """A grant the public notice shows (so its 复核 page may show it to anyone signed in)."""
    return application.granted_fen > 0 and application.status in (
        ApplicationStatus.IN_NOTICE,
        ApplicationStatus.ON_HOLD,
        ApplicationStatus.GRANTED,
    )


def covered(actor: User, application: QuotaApplication) -> bool:
    """Staff of a jurisdiction see the applications of the organisations under it only (as the use
    cases decide: ``User.oversees``)."""
    return actor.oversees(application.organisation.region_code)


def open_reconsiderations(session: Session, actor: User, *, closed: bool = False) -> list[Reconsideration]:
    """复核 requests waiting for the operator (or, ``closed``, those decided), oldest first."""
    wanted = (
        Reconsideration.status.in_(reconsiderations.OPEN)
        if not closed
        else Reconsideration.status.not_in(reconsiderations.OPEN)
    )
    items = session.scalars(
        select(Reconsideration)
        .where(wanted)
        .join(QuotaApplication, QuotaApplication.id == Reconsideration.application_id)
        .where(in_jurisdiction(QuotaApplication.organisation_id, actor.jurisdiction))
        .options(selectinload(Reconsideration.application).selectinload(QuotaApplication.programme))
        .order_by(Reconsideration.id.desc() if closed else Reconsideration.id)
        .limit(200)
    )
    return list(items)


def open_reconsideration_count(session: Session, actor: User) -> int:
    """What waits for the operator of a jurisdiction (the navigation's count)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Reconsideration)
            .join(QuotaApplication, QuotaApplication.id == Reconsideration.application_id)
            .where(
                Reconsideration.status.in_(reconsiderations.OPEN),
                in_jurisdiction(QuotaApplication.organisation_id, actor.jurisdiction),
            )
        )
        or 0
    )


def unused_fen(session: Session, application: QuotaApplication) -> int:
    """What the grant's wallet holds unused (what the operator may give back)."""
    book, _rules = grants.application_book(session, application)
    return ledger.balance(session, AccountKind.AVAILABLE, book, application.organisation_id)
