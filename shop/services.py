"""Use cases of organisations and certification (第十条–第十四条). Each public function owns its
transaction: it commits on success; a refusal raises DomainError and leaves nothing behind."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from shop import clock
from shop.audit import change_state, record
from shop.auth import hash_password
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
from shop.models import (
    Affiliation,
    BlacklistEntry,
    CertificationDocument,
    CertificationSubmission,
    Holiday,
    Organisation,
    User,
)
from shop.pagination import Page, paginate
from shop.rules import check_email, check_established_on, check_password, check_uscc, lookup_region, normalise_email
from shop.states import ORGANISATION, OrgKind, OrgStatus, Role
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
    reason = inputs.text("reason", required=decision == "reject", max_length=2000)
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


# -- affiliations -------------------------------------------------------------------------------

@use_case
def add_affiliation(session: Session, actor: User, org_id: int, other_id: int | None, note: str | None) -> Affiliation:
    """Record that two organisations are affiliated (隶属、共建、产权纽带); symmetric."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs({"organisation_id": other_id, "note": note})
    other_id = inputs.integer("organisation_id", minimum=1)
    note = inputs.text("note", max_length=2000)
    inputs.check()
    org, other = session.get(Organisation, org_id), session.get(Organisation, other_id)
    if org is None:
        raise NotFound()
    if other is None:
        raise ValidationError({"organisation_id": [_l("There is no organisation with this number.")]})
    if org.id == other.id:
        raise ValidationError({"organisation_id": [_l("An organisation cannot be affiliated with itself.")]})
    low, high = sorted((org.id, other.id))
    if affiliated(session, low, high):
        raise DomainError("validation_error", _l("These organisations are already recorded as affiliated."),
                          field="organisation_id", status=409)
    affiliation = Affiliation(organisation_low_id=low, organisation_high_id=high, note=note, created_by_id=actor.id)
    session.add(affiliation)
    session.flush()
    for subject in (low, high):
        record(session, actor, "organisation", subject, "add_affiliation", None,
               {"affiliation_id": affiliation.id, "organisations": [low, high], "note": note})
    session.commit()
    return affiliation


@use_case
def remove_affiliation(session: Session, actor: User, affiliation_id: int) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    affiliation = session.get(Affiliation, affiliation_id)
    if affiliation is None:
        raise NotFound()
    pair = [affiliation.organisation_low_id, affiliation.organisation_high_id]
    for subject in pair:
        record(session, actor, "organisation", subject, "remove_affiliation",
               {"affiliation_id": affiliation.id, "organisations": pair, "note": affiliation.note}, None)
    session.delete(affiliation)
    session.commit()


def affiliated(session: Session, a: int, b: int) -> bool:
    low, high = sorted((a, b))
    return session.scalars(select(Affiliation.id).where(
        Affiliation.organisation_low_id == low, Affiliation.organisation_high_id == high)).first() is not None


def affiliated_ids(session: Session, org_id: int) -> set[int]:
    """Every organisation affiliated with ``org_id`` (one query, for a whole cart)."""
    rows = session.execute(select(Affiliation.organisation_low_id, Affiliation.organisation_high_id).where(
        or_(Affiliation.organisation_low_id == org_id, Affiliation.organisation_high_id == org_id))).all()
    return {low if high == org_id else high for low, high in rows}


def affiliations_of(session: Session, org_id: int) -> list[Affiliation]:
    return list(session.scalars(select(Affiliation).where(
        or_(Affiliation.organisation_low_id == org_id, Affiliation.organisation_high_id == org_id))
        .options(selectinload(Affiliation.low), selectinload(Affiliation.high)).order_by(Affiliation.id)))


def list_affiliations(session: Session, page: int, per_page: int) -> Page[Affiliation]:
    stmt = (select(Affiliation).options(selectinload(Affiliation.low), selectinload(Affiliation.high))
            .order_by(Affiliation.id.desc()))
    return paginate(session, stmt, page, per_page)


# -- blacklist ----------------------------------------------------------------------------------

@use_case
def add_to_blacklist(session: Session, actor: User, uscc: str | None, reason: str | None,
                     *, commit: bool = True) -> BlacklistEntry:
    """第十二条: a blacklisted USCC cannot register again. ``commit=False`` when called inside another
    use case (an expulsion)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs({"uscc": uscc, "reason": reason})
    raw = inputs.text("uscc", max_length=40)
    reason = inputs.text("reason", max_length=2000)
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
    if commit:
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
    reason = inputs.text("reason", max_length=2000)
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


# -- sanctions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sanction:
    """Why an organisation may not move money now: ``kind`` is ``expelled``, ``blacklisted`` or
    ``suspended`` (with its end date ``until``, when it has one)."""
    organisation_id: int
    name: str
    kind: str
    reason: str | None
    until: dt.date | None = None

    @property
    def message(self) -> str:
        """Said in the reader's language now, as a plain string: the name is the registrant's own text,
        and a lazy message would reach pages as markup (unescaped)."""
        if self.kind == "expelled":
            text = _l("%(name)s has been expelled from the platform: this is not possible.", name=self.name)
        elif self.kind == "blacklisted":
            text = _l("%(name)s is on the blacklist: this is not possible.", name=self.name)
        elif self.until is not None:
            text = _l("%(name)s is suspended until %(day)s: this is not possible until then.",
                      name=self.name, day=self.until.isoformat())
        else:
            text = _l("%(name)s is suspended until the operator reinstates it: this is not possible meanwhile.",
                      name=self.name)
        return str(text)


def sanctioned_clause(org: Any, today: dt.date | None = None) -> ColumnElement[bool]:
    """SQL: the organisation ``org`` (``Organisation`` or an alias of it) is sanctioned on ``today``:
    expelled, suspended (until its end date, not on it) or its credit code blacklisted. The one rule,
    for queries; ``sanctions_of`` reads it for given organisations."""
    today = today or clock.today()
    listed = aliased(BlacklistEntry)
    return or_(org.status == OrgStatus.EXPELLED,
               and_(org.status == OrgStatus.SUSPENDED,
                    or_(org.suspended_until.is_(None), org.suspended_until > today)),
               exists().where(listed.uscc == org.uscc))


def sanctions_of(session: Session, org_ids: Any, today: dt.date | None = None) -> dict[int, Sanction]:
    """The sanctions in force on ``today`` of those of ``org_ids`` that have one (one query)."""
    ids = sorted({i for i in org_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(Organisation, BlacklistEntry.reason)
        .outerjoin(BlacklistEntry, BlacklistEntry.uscc == Organisation.uscc)
        .where(Organisation.id.in_(ids), sanctioned_clause(Organisation, today))).all()
    found: dict[int, Sanction] = {}
    for org, blacklist_reason in rows:
        if org.status == OrgStatus.EXPELLED:
            found[org.id] = Sanction(org.id, org.name, "expelled", org.status_reason)
        elif blacklist_reason is not None:
            found[org.id] = Sanction(org.id, org.name, "blacklisted", blacklist_reason)
        else:
            found[org.id] = Sanction(org.id, org.name, "suspended", org.status_reason, org.suspended_until)
    return found


def sanction_of(session: Session, org_id: int | None, today: dt.date | None = None) -> Sanction | None:
    return sanctions_of(session, [org_id], today).get(org_id) if org_id is not None else None


def ensure_not_sanctioned(session: Session, *org_ids: int | None) -> None:
    """The guard of every step that moves money (checkout, confirmation, claims, their reviews and
    payment, quota grants): 409 ``sanctioned`` naming the first of ``org_ids`` that is sanctioned."""
    found = sanctions_of(session, org_ids)
    if not found:
        return
    first = next(found[i] for i in org_ids if i in found)
    raise DomainError("sanctioned", first.message, extra={"sanctioned": [
        {"organisation_id": s.organisation_id, "name": s.name, "sanction": s.kind,
         "until": s.until.isoformat() if s.until else None} for s in found.values()]})


def _sanctioned_organisation(session: Session, actor: User, org_id: int) -> Organisation:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None:
        raise NotFound()
    return org


@use_case
def suspend_organisation(session: Session, actor: User, org_id: int, data: Mapping[str, Any]) -> Organisation:
    """The operator suspends an enterprise or a provider, with a reason and, if it gives one, the day
    the suspension ends by itself (``end_suspensions``). Suspending a suspended organisation changes
    the reason or the end date."""
    org = _sanctioned_organisation(session, actor, org_id)
    inputs = Inputs(data)
    reason = inputs.text("reason", max_length=2000)
    until = inputs.date("until", required=False)
    if until is not None and until <= clock.today():
        inputs.error("until", _l("The end date must be after today."))
    inputs.check()
    change_state(session, org, ORGANISATION, "suspend", actor, subject_type="organisation", status_reason=reason,
                 suspended_until=until)
    session.commit()
    return org


def _reinstate(session: Session, org: Organisation, actor: User | None, reason: str | None) -> None:
    """Back to certified; a provider suspended during its exit notice goes back to leaving."""
    action = "resume_exit" if org.exit_effective_on is not None else "reinstate"
    change_state(session, org, ORGANISATION, action, actor, subject_type="organisation", status_reason=reason,
                 suspended_until=None)


@use_case
def reinstate_organisation(session: Session, actor: User, org_id: int, data: Mapping[str, Any]) -> Organisation:
    """The operator ends a suspension (with a reason): the organisation acts again, its products are on
    sale again and its held claims go on. A blacklisted code stays sanctioned until it is removed
    from the blacklist."""
    org = _sanctioned_organisation(session, actor, org_id)
    inputs = Inputs(data)
    reason = inputs.text("reason", max_length=2000)
    inputs.check()
    if org.status != OrgStatus.SUSPENDED:
        ORGANISATION.next(org.status, "reinstate")   # raises invalid_state
    _reinstate(session, org, actor, reason)
    session.commit()
    return org


def end_suspensions(session: Session, today: dt.date | None = None) -> int:
    """Record the end of the suspensions whose end date has come (the sanction is over on that day
    anyway: ``sanctioned_clause``). The daily job; idempotent; commits."""
    today = today or clock.today()
    due = list(session.scalars(select(Organisation).where(
        Organisation.status == OrgStatus.SUSPENDED, Organisation.suspended_until <= today)
        .order_by(Organisation.id).with_for_update()))
    for org in due:
        _reinstate(session, org, None, None)
    session.commit()
    return len(due)


# -- the holiday table --------------------------------------------------------------------------

def working_day_overrides(session: Session, start: dt.date | None = None, end: dt.date | None = None) -> dict[dt.date, bool]:
    stmt = select(Holiday.day, Holiday.is_working_day)
    if start:
        stmt = stmt.where(Holiday.day >= start)
    if end:
        stmt = stmt.where(Holiday.day <= end)
    return {day: working for day, working in session.execute(stmt).all()}


def add_working_days(session: Session, start: dt.date, n: int) -> dt.date:
    """``clock.add_working_days`` with the operator's holiday table."""
    return clock.add_working_days(start, n, working_day_overrides(session, start, start + dt.timedelta(days=n * 7 + 60)))


@use_case
def set_holiday(session: Session, actor: User, data: Mapping[str, Any]) -> Holiday:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs(data)
    day = inputs.date("day")
    is_working_day = inputs.boolean("is_working_day")
    note = inputs.text("note", max_length=200)
    inputs.check()
    holiday = session.get(Holiday, day)
    before = {"is_working_day": holiday.is_working_day, "note": holiday.note} if holiday else None
    if holiday is None:
        holiday = Holiday(day=day)
        session.add(holiday)
    holiday.is_working_day, holiday.note, holiday.updated_by_id, holiday.updated_at = is_working_day, note, actor.id, clock.now()
    record(session, actor, "holiday", int(day.strftime("%Y%m%d")), "set_holiday", before,
           {"day": day, "is_working_day": is_working_day, "note": note})
    session.commit()
    return holiday


@use_case
def delete_holiday(session: Session, actor: User, day: dt.date) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    holiday = session.get(Holiday, day)
    if holiday is None:
        raise NotFound()
    record(session, actor, "holiday", int(day.strftime("%Y%m%d")), "delete_holiday",
           {"day": day, "is_working_day": holiday.is_working_day, "note": holiday.note}, None)
    session.delete(holiday)
    session.commit()


def list_holidays(session: Session, year: int) -> list[Holiday]:
    return list(session.scalars(select(Holiday).where(
        and_(Holiday.day >= dt.date(year, 1, 1), Holiday.day <= dt.date(year, 12, 31))).order_by(Holiday.day)))


# -- the audit trail -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    """A search of the trail: by subject, by who acted (an e-mail address, a user number or
    "system"), and by the days in China it happened on."""
    subject_type: str | None = None
    subject_id: int | None = None
    actor: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def read_audit_filter(data: Mapping[str, Any]) -> AuditFilter:
    from shop.audit import SUBJECT_TYPES
    inputs = Inputs(data)
    subject_type = inputs.choice("subject_type", SUBJECT_TYPES, required=False)
    subject_id = inputs.integer("subject_id", required=False, minimum=1, maximum=2**62)
    actor = inputs.text("actor", required=False, max_length=254)
    since = inputs.date("since", required=False)
    until = inputs.date("until", required=False)
    if since and until and until < since:
        inputs.error("until", _l("The end of the period is before its start."))
    inputs.check()
    return AuditFilter(subject_type, subject_id, actor.strip() if actor else None, since, until)


def audit_query(session: Session, where: AuditFilter):  # type: ignore[no-untyped-def]
    """The entries matching ``where``, newest first (each condition uses an index of the trail)."""
    from shop.audit import AuditEntry
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if where.subject_type:
        stmt = stmt.where(AuditEntry.subject_type == where.subject_type)
    if where.subject_id is not None:
        stmt = stmt.where(AuditEntry.subject_id == where.subject_id)
    if where.actor:
        if where.actor.lower() == "system":
            stmt = stmt.where(AuditEntry.actor_id.is_(None))
        elif where.actor.isascii() and where.actor.isdigit() and len(where.actor) <= 18:   # not "²"
            stmt = stmt.where(AuditEntry.actor_id == int(where.actor))
        else:
            user_id = session.scalar(select(User.id).where(User.email == normalise_email(where.actor)))
            stmt = stmt.where(AuditEntry.actor_id == user_id) if user_id is not None else \
                stmt.where(AuditEntry.actor_label == where.actor)
    if where.since:
        stmt = stmt.where(AuditEntry.at >= clock.china_midnight(where.since))
    if where.until:
        stmt = stmt.where(AuditEntry.at < clock.china_midnight(where.until + dt.timedelta(days=1)))
    return stmt


@dataclass(frozen=True)
class ChainStatus:
    """The last verification of the hash chain (itself an entry of the trail) and what came after it."""
    verified_at: dt.datetime | None
    ok: bool | None
    checked: int
    broken_id: int | None
    problem: str | None
    entries_since: int
    verified_by: str | None


def chain_status(session: Session) -> ChainStatus:
    """Read, never recompute: verifying a long trail on every page view would be slow, so the page
    shows the last verification and verifying is a button (``record_chain_verification``)."""
    from shop.audit import AuditEntry
    last = session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "audit",
                                                    AuditEntry.action == "verify_chain")
                           .order_by(AuditEntry.id.desc()).limit(1)).first()
    after_id = last.id if last is not None else 0
    since = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.id > after_id)) or 0
    if last is None:
        return ChainStatus(None, None, 0, None, None, since, None)
    result = last.after or {}
    return ChainStatus(last.at, bool(result.get("ok")), int(result.get("checked", 0)), result.get("broken_id"),
                       result.get("problem"), since, last.actor_label)


@use_case
def record_chain_verification(session: Session, actor: User, report: Any) -> None:
    """Keep the result of a verification in the trail (a third party can see when it was checked)."""
    if not actor.is_staff:
        raise Forbidden()
    from shop.audit import AuditEntry, lock_head
    lock_head(session)
    last = session.scalars(select(AuditEntry.after).where(AuditEntry.subject_type == "audit",
                                                          AuditEntry.action == "verify_chain")
                           .order_by(AuditEntry.id.desc()).limit(1)).first()
    if report.ok and last and last.get("ok") and report.checked < int(last.get("checked") or 0):
        # overtaken by a verification recorded meanwhile, which read more of the trail: recorded after
        # it, this one would say entries disappeared (audit-verify checks that the counts never fall)
        session.rollback()
        return
    record(session, actor, "audit", 1, "verify_chain", None,
           {"ok": report.ok, "checked": report.checked, "broken_id": report.broken_id, "problem": report.problem})
    session.commit()
