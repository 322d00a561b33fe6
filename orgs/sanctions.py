"""Sanctions (第十二条 and the operator's suspensions): why an organisation may not move money now,
the one rule for queries (``sanctioned_clause``), the guard of every step that moves money
(``ensure_not_sanctioned``), and the operator's suspensions and reinstatements with the daily job that
ends them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from orgs.commands import SuspensionInput
from orgs.models import BlacklistEntry, Organisation
from orgs.states import ORGANISATION, OrgStatus
from shop import clock
from shop.accounts import User
from shop.audit import change_state
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import ReasonInput
from shop.states import Role


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
        elif self.kind == "blacklisted" and self.until is not None:  # a ban with a term
            text = _l(
                "%(name)s is banned until %(day)s: this is not possible until then.",
                name=self.name,
                day=self.until.isoformat(),
            )
        elif self.kind == "blacklisted":
            text = _l("%(name)s is on the blacklist: this is not possible.", name=self.name)
        elif self.until is not None:
            text = _l(
                "%(name)s is suspended until %(day)s: this is not possible until then.",
                name=self.name,
                day=self.until.isoformat(),
            )
        else:
            text = _l(
                "%(name)s is suspended until the operator reinstates it: this is not possible meanwhile.",
                name=self.name,
            )
        return str(text)


def sanctioned_clause(org: Any, today: dt.date | None = None) -> ColumnElement[bool]:
    """SQL: the organisation ``org`` (``Organisation`` or an alias of it) is sanctioned on ``today``:
    expelled, suspended (until its end date, not on it) or its credit code blacklisted. The one rule,
    for queries; ``sanctions_of`` reads it for given organisations."""
    today = today or clock.today()
    listed = aliased(BlacklistEntry)
    return or_(
        org.status == OrgStatus.EXPELLED,
        and_(org.status == OrgStatus.SUSPENDED, or_(org.suspended_until.is_(None), org.suspended_until > today)),
        exists().where(listed.uscc == org.uscc, or_(listed.ends_on.is_(None), listed.ends_on > today)),  # a term
    )


def sanctions_of(session: Session, org_ids: Any, today: dt.date | None = None) -> dict[int, Sanction]:
    """The sanctions in force on ``today`` of those of ``org_ids`` that have one (one query)."""
    ids = sorted({i for i in org_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(Organisation, BlacklistEntry.reason, BlacklistEntry.ends_on)
        .outerjoin(
            BlacklistEntry,
            and_(
                BlacklistEntry.uscc == Organisation.uscc,
                or_(BlacklistEntry.ends_on.is_(None), BlacklistEntry.ends_on > (today or clock.today())),
            ),
        )
        .where(Organisation.id.in_(ids), sanctioned_clause(Organisation, today))
    ).all()
    found: dict[int, Sanction] = {}
    for org, blacklist_reason, ban_ends_on in rows:
        if org.status == OrgStatus.EXPELLED:
            found[org.id] = Sanction(org.id, org.name, "expelled", org.status_reason)
        elif blacklist_reason is not None:
            found[org.id] = Sanction(org.id, org.name, "blacklisted", blacklist_reason, ban_ends_on)
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
    raise DomainError(
        "sanctioned",
        first.message,
        extra={
            "sanctioned": [
                {
                    "organisation_id": s.organisation_id,
                    "name": s.name,
                    "sanction": s.kind,
                    "until": s.until.isoformat() if s.until else None,
                }
                for s in found.values()
            ]
        },
    )


def _sanctioned_organisation(session: Session, actor: User, org_id: int) -> Organisation:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None or not actor.oversees(org.region_code):  # another jurisdiction's: not found
        raise NotFound()
    return org


@use_case
def suspend_organisation(session: Session, actor: User, org_id: int, suspension: SuspensionInput) -> Organisation:
    """The operator suspends an enterprise or a provider, with a reason and, if it gives one, the day
    the suspension ends by itself (``end_suspensions``). Suspending a suspended organisation changes
    the reason or the end date."""
    org = _sanctioned_organisation(session, actor, org_id)
    change_state(
        session,
        org,
        ORGANISATION,
        "suspend",
        actor,
        subject_type="organisation",
        status_reason=suspension.reason,
        suspended_until=suspension.until,
    )
    session.commit()
    return org


def _reinstate(session: Session, org: Organisation, actor: User | None, reason: str | None) -> None:
    """Back to certified; a provider suspended during its exit notice goes back to leaving."""
    action = "resume_exit" if org.exit_effective_on is not None else "reinstate"
    change_state(
        session,
        org,
        ORGANISATION,
        action,
        actor,
        subject_type="organisation",
        status_reason=reason,
        suspended_until=None,
    )


@use_case
def reinstate_organisation(session: Session, actor: User, org_id: int, why: ReasonInput) -> Organisation:
    """The operator ends a suspension (with a reason): the organisation acts again, its products are on
    sale again and its held claims go on. A blacklisted code stays sanctioned until it is removed
    from the blacklist."""
    org = _sanctioned_organisation(session, actor, org_id)
    if not ORGANISATION.can(org.status, "reinstate"):
        ORGANISATION.next(org.status, "reinstate")  # raises invalid_state
    _reinstate(session, org, actor, why.reason)
    session.commit()
    return org


@use_case
def end_suspensions(session: Session, today: dt.date | None = None) -> int:
    """Record the end of the suspensions whose end date has come (the sanction is over on that day
    anyway: ``sanctioned_clause``). The daily job; idempotent; commits."""
    today = today or clock.today()
    due = list(
        session.scalars(
            select(Organisation)
            .where(Organisation.status == OrgStatus.SUSPENDED, Organisation.suspended_until <= today)
            .order_by(Organisation.id)
            .with_for_update()
        )
    )
    for org in due:
        _reinstate(session, org, None, None)
    session.commit()
    return len(due)
