"""Use cases of organisations (第十条–第十四条): registration, certification and its review, and the
status changes the catalogue makes; affiliations are ``orgs.affiliations``, the blacklist
``orgs.blacklist``, the sanctions ``orgs.sanctions``. Each public function owns its
transaction: it commits on success; a refusal raises DomainError and leaves nothing behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from orgs.blacklist import is_blacklisted
from orgs.commands import OrganisationFilter, Registration
from orgs.models import CertificationDocument, CertificationSubmission, Organisation
from orgs.rules import region_disagreement
from orgs.states import ORGANISATION, OrgKind, OrgStatus
from shop import clock, jurisdictions
from shop.accounts import User
from shop.audit import change_state, record
from shop.auth import hash_password
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Decision
from shop.jurisdictions import under
from shop.pagination import Page, paginate
from shop.states import Role
from shop.uploads import MB, StoredFile, store_upload

# 第十三条/第十四条: what each kind of organisation uploads for certification
CERTIFICATION_DOCUMENTS: dict[OrgKind, tuple[str, ...]] = {
    OrgKind.ENTERPRISE: ("business_licence", "realname_form", "contact_id_card"),
    OrgKind.PROVIDER: ("business_licence", "realname_form"),
}
DOCUMENT_LABELS = {
    "business_licence": _l("Business licence"),
    "realname_form": _l("Signed real-name form"),
    "contact_id_card": _l("Contact's ID card (both sides)"),
}
CERTIFICATION_MAX_BYTES = 10 * MB
CERTIFICATION_TYPES = ("pdf", "jpg", "png")


# -- registration -------------------------------------------------------------------------------


@use_case
def register_organisation(session: Session, registration: Registration) -> Organisation:
    """An organisation and its first member; it must then be certified before it acts."""
    r = registration
    if is_blacklisted(session, r.uscc):  # a ban whose term is over no longer stops it
        raise DomainError(
            "blacklisted", _l("This unified social credit code is on the blacklist and cannot register."), field="uscc"
        )
    if session.scalars(select(Organisation.id).where(Organisation.uscc == r.uscc)).first() is not None:
        raise DomainError(
            "duplicate_organisation",
            _l("An organisation with this unified social credit code is already registered."),
            field="uscc",
        )
    if session.scalars(select(User.id).where(User.email == r.email)).first() is not None:
        # the same words as a taken USCC would give away whether an address is registered; say only
        # that this address cannot be used
        raise ValidationError({"email": [_l("This e-mail address cannot be used; please use another one.")]})
    org = Organisation(
        kind=r.kind,
        uscc=r.uscc,
        name=r.name,
        region_code=r.region_code,
        established_on=r.established_on,
        legal_representative=r.legal_representative,
        contact_name=r.contact_name,
        contact_phone=r.contact_phone,
        email=r.email,
        status=OrgStatus.PENDING_CERTIFICATION,
    )
    user = User(
        email=r.email,
        password_hash=hash_password(r.password),
        role=Role(r.kind.value),
        name=r.contact_name,
        organisation=org,
    )
    session.add_all([org, user])
    try:
        session.flush()
    except IntegrityError:  # a parallel registration of the same code won the race (use_case rolls back)
        raise DomainError("duplicate_organisation", field="uscc") from None
    record(
        session,
        user,
        "organisation",
        org.id,
        "register",
        None,
        {"status": org.status.value, "kind": org.kind.value, "uscc": org.uscc, "name": org.name},
    )
    session.commit()
    return org


# -- reading ------------------------------------------------------------------------------------


def get_organisation(session: Session, actor: User, org_id: int) -> Organisation:
    """Members and the staff of its jurisdiction see an organisation; to anyone else it does not exist."""
    org = session.get(Organisation, org_id)
    if org is None or not (actor.oversees(org.region_code) or actor.belongs_to(org.id)):
        raise NotFound()
    return org


def in_jurisdiction(org_id: Any, jurisdiction: str | None) -> Any:
    """A condition for other areas' lists: the organisation ``org_id`` (a column) lies under
    ``jurisdiction`` (``shop.jurisdictions.under`` on its region; None, the whole platform: true)."""
    if jurisdiction is None:
        return true()
    return org_id.in_(select(Organisation.id).where(under(Organisation.region_code, jurisdiction)))


def _own_organisation(session: Session, actor: User, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    if not actor.belongs_to(org.id):
        raise NotFound() if not actor.is_staff else Forbidden()
    return org


def latest_submission(session: Session, org_id: int) -> CertificationSubmission | None:
    return session.scalars(
        select(CertificationSubmission)
        .where(CertificationSubmission.organisation_id == org_id)
        .options(selectinload(CertificationSubmission.documents))
        .order_by(CertificationSubmission.id.desc())
        .limit(1)
    ).first()


def certification_document(session: Session, actor: User, document_id: int) -> CertificationDocument:
    """A document is readable by its organisation's members and by the staff of its jurisdiction only."""
    document = session.get(CertificationDocument, document_id)
    if document is None:
        raise NotFound()
    org = document.submission.organisation
    if not (actor.oversees(org.region_code) or actor.belongs_to(org.id)):
        raise NotFound()
    return document


# -- certification ------------------------------------------------------------------------------


@use_case
def submit_certification(
    session: Session,
    actor: User,
    org_id: int,
    files: Mapping[str, tuple[BinaryIO | None, str | None]],
    upload_dir: str | Path,
) -> Organisation:
    """Upload the certification documents; the organisation goes to the operator's queue."""
    org = _own_organisation(session, actor, org_id)
    ORGANISATION.next(org.status, "submit_certification")
    needed = CERTIFICATION_DOCUMENTS[org.kind]
    stored: dict[str, StoredFile] = {}
    errors: dict[str, list] = {}
    for kind in needed:
        stream, filename = files.get(kind, (None, None))
        try:
            stored[kind] = store_upload(
                upload_dir, kind, stream, filename, allowed=CERTIFICATION_TYPES, max_bytes=CERTIFICATION_MAX_BYTES
            )
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        _remove_files(upload_dir, stored.values())
        raise ValidationError(errors)
    submission = CertificationSubmission(organisation_id=org.id, submitted_by_id=actor.id, submitted_at=clock.now())
    submission.documents = [
        CertificationDocument(
            kind=kind,
            original_name=f.original_name,
            stored_name=f.stored_name,
            content_type=f.content_type,
            size_bytes=f.size_bytes,
            sha256=f.sha256,
        )
        for kind, f in stored.items()
    ]
    session.add(submission)
    try:
        change_state(
            session, org, ORGANISATION, "submit_certification", actor, subject_type="organisation", status_reason=None
        )
        session.commit()
    except BaseException:  # use_case rolls the rows back; the files go too
        _remove_files(upload_dir, stored.values())
        raise
    return org


def _remove_files(upload_dir: str | Path, files: Any) -> None:
    for f in files:
        (Path(upload_dir) / f.stored_name).unlink(missing_ok=True)


@use_case
def review_organisation(
    session: Session, actor: User, org_id: int, decision: Decision, region_note: str | None = None
) -> Organisation:
    """The operator of its jurisdiction certifies an organisation or rejects it with a reason it will
    see. An organisation whose region differs from the division code inside its credit code is
    certified only with ``region_note``, why (a company that moved); the note is audited with the
    decision."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None or not actor.oversees(org.region_code):
        raise NotFound()
    action = decision.value
    submission = latest_submission(session, org.id)
    if submission is None or not ORGANISATION.can(org.status, action):
        ORGANISATION.next(org.status, action)  # raises invalid_state
    at = clock.now()
    changes: dict[str, Any] = {"status_reason": None if decision.approve else decision.reason}
    division = region_disagreement(org.uscc, org.region_code)
    if division is not None and region_note:
        changes["region_note"] = region_note
    if decision.approve:
        if division is not None and not (region_note or org.region_note):
            raise DomainError("region_mismatch", region_mismatch_message(org), field="region_note")
        changes["certified_at"] = at
    change_state(session, org, ORGANISATION, action, actor, subject_type="organisation", **changes)
    submission.decision, submission.reason = action, decision.reason
    submission.decided_by_id, submission.decided_at = actor.id, at
    session.commit()
    return org


def region_mismatch_message(org: Organisation) -> Any:
    """What the operator is told about an organisation whose region is not its credit code's."""
    division = region_disagreement(org.uscc, org.region_code)
    return _l(
        "The region %(region)s (%(region_code)s) differs from the division code in the credit code, %(division)s "
        "(%(division_code)s): say why (for instance, the company moved) before certifying it.",
        region=jurisdictions.name(org.region_code),
        region_code=org.region_code,
        division=jurisdictions.name(division),
        division_code=division,
    )


def allowed_actions(actor: User, org: Organisation) -> set[str]:
    """What ``actor`` may do to ``org`` now (the pages ask ``may``; the table says ``can``): the
    operator certifies and sanctions, the members submit their documents and a provider gives notice;
    nobody else does anything."""
    actions = ORGANISATION.allowed(org.status)
    if actor.role == Role.OPERATOR:
        return actions - {"submit_certification", "request_exit", "complete_exit"}
    if actor.belongs_to(org.id):
        own = {"submit_certification", "request_exit"} if org.kind == OrgKind.PROVIDER else {"submit_certification"}
        return actions & own
    return set()


def review_queue(session: Session, actor: User, page: int, per_page: int) -> Page[Organisation]:
    """Organisations of the actor's jurisdiction waiting for certification, oldest submission first."""
    waiting_since = (
        select(CertificationSubmission.organisation_id, func.max(CertificationSubmission.submitted_at).label("since"))
        .group_by(CertificationSubmission.organisation_id)
        .subquery()
    )
    stmt = (
        select(Organisation)
        .join(waiting_since, waiting_since.c.organisation_id == Organisation.id)
        .where(Organisation.status == OrgStatus.UNDER_REVIEW, under(Organisation.region_code, actor.jurisdiction))
        .order_by(waiting_since.c.since, Organisation.id)
    )
    return paginate(session, stmt, page, per_page)


def review_queue_count(session: Session, actor: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.status == OrgStatus.UNDER_REVIEW, under(Organisation.region_code, actor.jurisdiction))
        )
        or 0
    )


def list_organisations(
    session: Session, actor: User, where: OrganisationFilter, page: int, per_page: int
) -> Page[Organisation]:
    """The organisations of the actor's jurisdiction, newest first."""
    stmt = (
        select(Organisation).where(under(Organisation.region_code, actor.jurisdiction)).order_by(Organisation.id.desc())
    )
    if where.kind is not None:
        stmt = stmt.where(Organisation.kind == where.kind)
    if where.status is not None:
        stmt = stmt.where(Organisation.status == where.status)
    if where.q:
        # a % or _ the staff type is a character of the name, not a wildcard
        stmt = stmt.where(
            or_(Organisation.name.contains(where.q, autoescape=True), Organisation.uscc == where.q.upper())
        )
    return paginate(session, stmt, page, per_page)


# -- status changes the catalogue makes (第十二条): helpers, they never commit --------------------


def give_notice(session: Session, actor: User, org: Organisation, effective_on: dt.date, reason: str | None) -> None:
    """A provider leaves on ``effective_on`` (``catalog.providers.request_exit``)."""
    change_state(
        session,
        org,
        ORGANISATION,
        "request_exit",
        actor,
        subject_type="organisation",
        exit_effective_on=effective_on,
        status_reason=reason,
    )


def expel(session: Session, actor: User, org: Organisation, reason: str | None) -> None:
    """The organisation is out for good (``catalog.providers.expel_organisation``)."""
    change_state(
        session,
        org,
        ORGANISATION,
        "expel",
        actor,
        subject_type="organisation",
        status_reason=reason,
        suspended_until=None,
    )


def exits_due(session: Session, today: dt.date) -> list[Organisation]:
    """The leaving organisations whose exit day has come, locked for the change."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.status == OrgStatus.EXITING, Organisation.exit_effective_on <= today)
            .order_by(Organisation.id)
            .with_for_update()
        )
    )


def complete_exit(session: Session, org: Organisation) -> None:
    change_state(session, org, ORGANISATION, "complete_exit", None, subject_type="organisation")
