"""Use cases of organisations (第十条–第十四条): registration, certification and its review,
affiliations and the blacklist; the sanctions are ``orgs.sanctions``. Each public function owns its
transaction: it commits on success; a refusal raises DomainError and leaves nothing behind."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from orgs.models import BlacklistEntry, CertificationDocument, CertificationSubmission, Organisation
from orgs.rules import check_established_on, check_uscc, lookup_region
from orgs.states import ORGANISATION, OrgKind, OrgStatus
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.auth import check_email, check_password, hash_password, normalise_email
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
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

@dataclass(frozen=True)
class Registration:
    kind: OrgKind
    uscc: str
    name: str
    region_code: str
    established_on: dt.date
    legal_representative: str
    contact_name: str
    contact_phone: str | None
    email: str
    password: str

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> Registration:
        """Parse and check every field at once, so that a person sees all faults together."""
        inputs = Inputs(data)
        kind = inputs.choice("kind", [k.value for k in OrgKind])
        raw_uscc = inputs.text("uscc", max_length=40)
        name = inputs.text("name", max_length=200, min_length=2)
        region_code = inputs.text("region_code", max_length=6)
        established_on = inputs.date("established_on")
        legal_representative = inputs.text("legal_representative", max_length=100)
        contact_name = inputs.text("contact_name", max_length=100)
        contact_phone = inputs.text("contact_phone", required=False, max_length=30)
        email = normalise_email(inputs.text("email", max_length=254) or "")
        password = inputs.text("password", max_length=200) or ""
        uscc = None
        if raw_uscc:
            uscc, message = check_uscc(raw_uscc)
            if message:
                inputs.error("uscc", message)
        if region_code and lookup_region(region_code) is None:
            inputs.error("region_code", _l("Enter a current six-digit administrative division code, e.g. 520102."))
        if established_on and (message := check_established_on(established_on, clock.today())):
            inputs.error("established_on", message)
        if email and (message := check_email(email)):
            inputs.error("email", message)
        if password and (message := check_password(password)):
            inputs.error("password", message)
        if inputs.errors:
            only_uscc = set(inputs.errors) == {"uscc"} and raw_uscc
            raise ValidationError(inputs.errors, code="invalid_uscc" if only_uscc else "validation_error")
        return cls(OrgKind(kind), uscc, name, region_code, established_on, legal_representative, contact_name,
                   contact_phone, email, password)


@use_case
def register_organisation(session: Session, registration: Registration) -> Organisation:
    """An organisation and its first member; it must then be certified before it acts."""
    r = registration
    if session.scalars(select(BlacklistEntry.id).where(BlacklistEntry.uscc == r.uscc)).first() is not None:
        raise DomainError("blacklisted", _l("This unified social credit code is on the blacklist and cannot register."),
                          field="uscc")
    if session.scalars(select(Organisation.id).where(Organisation.uscc == r.uscc)).first() is not None:
        raise DomainError("duplicate_organisation", _l("An organisation with this unified social credit code is already registered."),
                          field="uscc")
    if session.scalars(select(User.id).where(User.email == r.email)).first() is not None:
        # the same words as a taken USCC would give away whether an address is registered; say only
        # that this address cannot be used
        raise ValidationError({"email": [_l("This e-mail address cannot be used; please use another one.")]})
    org = Organisation(kind=r.kind, uscc=r.uscc, name=r.name, region_code=r.region_code,
                       established_on=r.established_on, legal_representative=r.legal_representative,
                       contact_name=r.contact_name, contact_phone=r.contact_phone, email=r.email,
                       status=OrgStatus.PENDING_CERTIFICATION)
    user = User(email=r.email, password_hash=hash_password(r.password), role=Role(r.kind.value),
                name=r.contact_name, organisation=org)
    session.add_all([org, user])
    try:
        session.flush()
    except IntegrityError:  # a parallel registration of the same code won the race
        session.rollback()
        raise DomainError("duplicate_organisation", field="uscc") from None
    record(session, user, "organisation", org.id, "register", None,
           {"status": org.status.value, "kind": org.kind.value, "uscc": org.uscc, "name": org.name})
    session.commit()
    return org


# -- reading ------------------------------------------------------------------------------------

def get_organisation(session: Session, actor: User, org_id: int) -> Organisation:
    """Members and staff see an organisation; to anyone else it does not exist."""
    org = session.get(Organisation, org_id)
    if org is None or not (actor.is_staff or actor.belongs_to(org.id)):
        raise NotFound()
    return org


def _own_organisation(session: Session, actor: User, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    if not actor.belongs_to(org.id):
        raise NotFound() if not actor.is_staff else Forbidden()
    return org


def latest_submission(session: Session, org_id: int) -> CertificationSubmission | None:
    return session.scalars(
        select(CertificationSubmission).where(CertificationSubmission.organisation_id == org_id)
        .options(selectinload(CertificationSubmission.documents))
        .order_by(CertificationSubmission.id.desc()).limit(1)
    ).first()


def certification_document(session: Session, actor: User, document_id: int) -> CertificationDocument:
    """A document is readable by its organisation's members and by staff only."""
    document = session.get(CertificationDocument, document_id)
    if document is None:
        raise NotFound()
    if not (actor.is_staff or actor.belongs_to(document.submission.organisation_id)):
        raise NotFound()
    return document


# -- certification ------------------------------------------------------------------------------

@use_case
def submit_certification(session: Session, actor: User, org_id: int,
                         files: Mapping[str, tuple[BinaryIO | None, str | None]], upload_dir: str | Path) -> Organisation:
    """Upload the certification documents; the organisation goes to the operator's queue."""
    org = _own_organisation(session, actor, org_id)
    ORGANISATION.next(org.status, "submit_certification")
    needed = CERTIFICATION_DOCUMENTS[org.kind]
    stored: dict[str, StoredFile] = {}
    errors: dict[str, list] = {}
    for kind in needed:
        stream, filename = files.get(kind, (None, None))
        try:
            stored[kind] = store_upload(upload_dir, kind, stream, filename,
                                        allowed=CERTIFICATION_TYPES, max_bytes=CERTIFICATION_MAX_BYTES)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        _remove_files(upload_dir, stored.values())
        raise ValidationError(errors)
    submission = CertificationSubmission(organisation_id=org.id, submitted_by_id=actor.id, submitted_at=clock.now())
    submission.documents = [
        CertificationDocument(kind=kind, original_name=f.original_name, stored_name=f.stored_name,
                              content_type=f.content_type, size_bytes=f.size_bytes, sha256=f.sha256)
        for kind, f in stored.items()
    ]
    session.add(submission)
    try:
        change_state(session, org, ORGANISATION, "submit_certification", actor, subject_type="organisation",
                     status_reason=None)
        session.commit()
    except Exception:
        session.rollback()
        _remove_files(upload_dir, stored.values())
        raise
    return org


def _remove_files(upload_dir: str | Path, files: Any) -> None:
    for f in files:
        (Path(upload_dir) / f.stored_name).unlink(missing_ok=True)


@use_case
def review_organisation(session: Session, actor: User, org_id: int, decision: str, reason: str | None) -> Organisation:
    """The operator certifies an organisation or rejects it with a reason it will see."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None:
        raise NotFound()
    inputs = Inputs({"decision": decision, "reason": reason})
    decision = inputs.choice("decision", ["approve", "reject"])
    reason = inputs.reason(required=decision == "reject")
    inputs.check()
    submission = latest_submission(session, org.id)
    if submission is None or org.status != OrgStatus.UNDER_REVIEW:
        ORGANISATION.next(org.status, decision)  # raises invalid_state
    at = clock.now()
    changes: dict[str, Any] = {"status_reason": reason if decision == "reject" else None}
    if decision == "approve":
        changes["certified_at"] = at
    change_state(session, org, ORGANISATION, decision, actor, subject_type="organisation", **changes)
    submission.decision, submission.reason, submission.decided_by_id, submission.decided_at = decision, reason, actor.id, at
    session.commit()
    return org


def review_queue(session: Session, page: int, per_page: int) -> Page[Organisation]:
    """Organisations waiting for certification, oldest submission first."""
    waiting_since = (select(CertificationSubmission.organisation_id,
                            func.max(CertificationSubmission.submitted_at).label("since"))
                     .group_by(CertificationSubmission.organisation_id).subquery())
    stmt = (select(Organisation).join(waiting_since, waiting_since.c.organisation_id == Organisation.id)
            .where(Organisation.status == OrgStatus.UNDER_REVIEW)
            .order_by(waiting_since.c.since, Organisation.id))
    return paginate(session, stmt, page, per_page)


def review_queue_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Organisation)
                          .where(Organisation.status == OrgStatus.UNDER_REVIEW)) or 0


def list_organisations(session: Session, *, q: str | None, kind: str | None, status: str | None,
                       page: int, per_page: int) -> Page[Organisation]:
    stmt = select(Organisation).order_by(Organisation.id.desc())
    if kind in {k.value for k in OrgKind}:
        stmt = stmt.where(Organisation.kind == kind)
    if status in {s.value for s in OrgStatus}:
        stmt = stmt.where(Organisation.status == status)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Organisation.name.like(like), Organisation.uscc == q.strip().upper()))
    return paginate(session, stmt, page, per_page)


# -- blacklist ----------------------------------------------------------------------------------

def blacklist_uscc(session: Session, actor: User, uscc: str | None, reason: str | None) -> BlacklistEntry:
    """第十二条: put a USCC on the blacklist, recorded in the trail of the blacklist and of the
    organisation that has the code, if one has. A helper: it never commits (``add_to_blacklist`` does;
    the catalogue's ``expel_provider`` blacklists as part of an expulsion)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs({"uscc": uscc, "reason": reason})
    raw = inputs.text("uscc", max_length=40)
    reason = inputs.reason()
    code = None
    if raw:
        code, message = check_uscc(raw)
        if message:
            inputs.error("uscc", message)
    inputs.check()
    if session.scalars(select(BlacklistEntry.id).where(BlacklistEntry.uscc == code)).first() is not None:
        raise DomainError("validation_error", _l("This code is already on the blacklist."), field="uscc", status=409)
    org = session.scalars(select(Organisation).where(Organisation.uscc == code)).one_or_none()
    entry = BlacklistEntry(uscc=code, reason=reason, organisation_id=org.id if org else None,
                           name=org.name if org else None, created_by_id=actor.id)
    session.add(entry)
    session.flush()
    record(session, actor, "blacklist", entry.id, "add_to_blacklist", None,
           {"uscc": code, "reason": reason, "organisation_id": entry.organisation_id})
    if org is not None:   # from now on it is sanctioned (sanction_of): its trail says why
        record(session, actor, "organisation", org.id, "add_to_blacklist", None,
               {"blacklist_entry_id": entry.id, "uscc": code, "reason": reason})
    return entry


@use_case
def add_to_blacklist(session: Session, actor: User, uscc: str | None, reason: str | None) -> BlacklistEntry:
    """第十二条: a blacklisted USCC cannot register again."""
    entry = blacklist_uscc(session, actor, uscc, reason)
    session.commit()
    return entry


@use_case
def remove_from_blacklist(session: Session, actor: User, entry_id: int, reason: str | None) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    entry = session.get(BlacklistEntry, entry_id)
    if entry is None:
        raise NotFound()
    inputs = Inputs({"reason": reason})
    reason = inputs.reason()
    inputs.check()
    record(session, actor, "blacklist", entry.id, "remove_from_blacklist",
           {"uscc": entry.uscc, "reason": entry.reason}, {"reason": reason})
    org_id = session.scalar(select(Organisation.id).where(Organisation.uscc == entry.uscc))
    if org_id is not None:
        record(session, actor, "organisation", org_id, "remove_from_blacklist",
               {"blacklist_entry_id": entry.id, "uscc": entry.uscc, "reason": entry.reason}, {"reason": reason})
    session.delete(entry)
    session.commit()


def list_blacklist(session: Session, page: int, per_page: int) -> Page[BlacklistEntry]:
    return paginate(session, select(BlacklistEntry).order_by(BlacklistEntry.id.desc()), page, per_page)


# -- status changes the catalogue makes (第十二条): helpers, they never commit --------------------

def give_notice(session: Session, actor: User, org: Organisation, effective_on: dt.date, reason: str | None) -> None:
    """A provider leaves on ``effective_on`` (``catalog.providers.request_exit``)."""
    change_state(session, org, ORGANISATION, "request_exit", actor, subject_type="organisation",
                 exit_effective_on=effective_on, status_reason=reason)


def expel(session: Session, actor: User, org: Organisation, reason: str | None) -> None:
    """The organisation is out for good (``catalog.providers.expel_organisation``)."""
    change_state(session, org, ORGANISATION, "expel", actor, subject_type="organisation", status_reason=reason,
                 suspended_until=None)


def exits_due(session: Session, today: dt.date) -> list[Organisation]:
    """The leaving organisations whose exit day has come, locked for the change."""
    return list(session.scalars(select(Organisation).where(
        Organisation.status == OrgStatus.EXITING, Organisation.exit_effective_on <= today)
        .order_by(Organisation.id).with_for_update()))


def complete_exit(session: Session, org: Organisation) -> None:
    change_state(session, org, ORGANISATION, "complete_exit", None, subject_type="organisation")


def is_blacklisted(session: Session, uscc: str) -> bool:
    return session.scalars(select(BlacklistEntry.id).where(BlacklistEntry.uscc == uscc)).first() is not None

