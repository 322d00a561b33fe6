"""The blacklist (第十二条): a USCC on it cannot register again. ``blacklist_uscc`` is the helper that
never commits (the catalogue's expulsion uses it); ``add_to_blacklist`` and ``remove_from_blacklist`` are
use cases that own their transaction; the operator's list; ``is_blacklisted``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgs.commands import BlacklistInput
from orgs.models import BlacklistEntry, Organisation
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import ConflictingInput, Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import ReasonInput
from shop.pagination import Page, paginate
from shop.states import Role


def blacklist_uscc(session: Session, actor: User, code: str, reason: str | None) -> BlacklistEntry:
    """第十二条: put a (checked) USCC on the blacklist, recorded in the trail of the blacklist and of
    the organisation that has the code, if one has. A helper: it never commits (``add_to_blacklist``
    does; the catalogue's ``expel_organisation`` blacklists as part of an expulsion)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    if is_blacklisted(session, code):
        raise ConflictingInput(_l("This code is already on the blacklist."), field="uscc")
    org = session.scalars(select(Organisation).where(Organisation.uscc == code)).one_or_none()
    entry = BlacklistEntry(
        uscc=code,
        reason=reason,
        organisation_id=org.id if org else None,
        name=org.name if org else None,
        created_by_id=actor.id,
    )
    session.add(entry)
    session.flush()
    record(
        session,
        actor,
        "blacklist",
        entry.id,
        "add_to_blacklist",
        None,
        {"uscc": code, "reason": reason, "organisation_id": entry.organisation_id},
    )
    if org is not None:  # from now on it is sanctioned (sanction_of): its trail says why
        record(
            session,
            actor,
            "organisation",
            org.id,
            "add_to_blacklist",
            None,
            {"blacklist_entry_id": entry.id, "uscc": code, "reason": reason},
        )
    return entry


@use_case
def add_to_blacklist(session: Session, actor: User, listing: BlacklistInput) -> BlacklistEntry:
    """第十二条: a blacklisted USCC cannot register again."""
    entry = blacklist_uscc(session, actor, listing.uscc, listing.reason)
    session.commit()
    return entry


@use_case
def remove_from_blacklist(session: Session, actor: User, entry_id: int, why: ReasonInput) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    entry = session.get(BlacklistEntry, entry_id)
    if entry is None:
        raise NotFound()
    reason = why.reason
    record(
        session,
        actor,
        "blacklist",
        entry.id,
        "remove_from_blacklist",
        {"uscc": entry.uscc, "reason": entry.reason},
        {"reason": reason},
    )
    org_id = session.scalar(select(Organisation.id).where(Organisation.uscc == entry.uscc))
    if org_id is not None:
        record(
            session,
            actor,
            "organisation",
            org_id,
            "remove_from_blacklist",
            {"blacklist_entry_id": entry.id, "uscc": entry.uscc, "reason": entry.reason},
            {"reason": reason},
        )
    session.delete(entry)
    session.commit()


def list_blacklist(session: Session, page: int, per_page: int) -> Page[BlacklistEntry]:
    return paginate(session, select(BlacklistEntry).order_by(BlacklistEntry.id.desc()), page, per_page)


def is_blacklisted(session: Session, uscc: str) -> bool:
    return session.scalars(select(BlacklistEntry.id).where(BlacklistEntry.uscc == uscc)).first() is not None
