"""The blacklist (第十二条): a USCC on it cannot register again. ``blacklist_uscc`` is the helper that
never commits (the catalogue's expulsion and a recovery for fraud use it); ``add_to_blacklist`` and
``remove_from_blacklist`` are use cases that own their transaction; the operator's list; ``is_blacklisted``.

A ban may carry a term (Liuzhou 第二十三条 three years, Baiyun 第二十条 five: ``Rules.ban_years``): it is
over on its ``ends_on`` (``sanctioned_clause`` and ``is_blacklisted`` read it), and the daily ``end_bans``
takes the entry off, audited, so the code may register again. The public 负面清单 lists the bans in
force (``negative_list``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from orgs.commands import BlacklistInput
from orgs.models import BlacklistEntry, Organisation
from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import ConflictingInput, Forbidden, NotFound
from shop.i18n import _l
from shop.inputs import ReasonInput
from shop.pagination import Page, paginate
from shop.states import Role


def ban_ends_on(start: dt.date, years: int | None) -> dt.date | None:
    """The day a ban of ``years`` from ``start`` is over (29 February: 1 March); None: no term."""
    if years is None:
        return None
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return dt.date(start.year + years, 3, 1)


def in_force(entry: Any, today: dt.date | None = None) -> ColumnElement[bool]:
    """SQL: the ban of ``entry`` (``BlacklistEntry`` or an alias of it) is in force on ``today``."""
    today = today or clock.today()
    return or_(entry.ends_on.is_(None), entry.ends_on > today)


def blacklist_uscc(
    session: Session,
    actor: User,
    code: str,
    reason: str | None,
    ends_on: dt.date | None = None,
    *,
    roles: Iterable[Role] = (Role.OPERATOR,),
) -> BlacklistEntry:
    """第十二条: put a (checked) USCC on the blacklist, until ``ends_on`` if the ban has a term,
    recorded in the trail of the blacklist and of the organisation that has the code, if one has. A
    helper: it never commits (``add_to_blacklist`` does; the catalogue's ``expel_organisation`` blacklists
    as part of an expulsion, a recovery for fraud (``claims.recoveries``) as part of its opening, where
    ``roles`` lets the authority too)."""
    if actor.role not in tuple(roles):
        raise Forbidden()
    if ends_on is not None and ends_on <= clock.today():
        raise ConflictingInput(_l("A ban ends after today."), field="ends_on")
    if is_blacklisted(session, code):
        raise ConflictingInput(_l("This code is already on the blacklist."), field="uscc")
    org = session.scalars(select(Organisation).where(Organisation.uscc == code)).one_or_none()
    entry = BlacklistEntry(
        uscc=code,
        reason=reason,
        organisation_id=org.id if org else None,
        name=org.name if org else None,
        created_by_id=actor.id,
        ends_on=ends_on,
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
        {"uscc": code, "reason": reason, "organisation_id": entry.organisation_id, "ends_on": ends_on},
    )
    if org is not None:  # from now on it is sanctioned (sanction_of): its trail says why
        record(
            session,
            actor,
            "organisation",
            org.id,
            "add_to_blacklist",
            None,
            {"blacklist_entry_id": entry.id, "uscc": code, "reason": reason, "ends_on": ends_on},
        )
    return entry


@use_case
def add_to_blacklist(session: Session, actor: User, listing: BlacklistInput) -> BlacklistEntry:
    """第十二条: a blacklisted USCC cannot register again (until the term given, if one is)."""
    ends_on = listing.ends_on or ban_ends_on(clock.today(), listing.years)
    entry = blacklist_uscc(session, actor, listing.uscc, listing.reason, ends_on)
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


def negative_list(session: Session, page: int, per_page: int) -> Page[BlacklistEntry]:
    """负面清单: the bans in force, the latest first (public)."""
    stmt = select(BlacklistEntry).where(in_force(BlacklistEntry)).order_by(BlacklistEntry.id.desc())
    return paginate(session, stmt, page, per_page)


def is_blacklisted(session: Session, uscc: str) -> bool:
    """The code is under a ban in force today (an entry whose term is over no longer counts)."""
    stmt = select(BlacklistEntry.id).where(BlacklistEntry.uscc == uscc, in_force(BlacklistEntry))
    return session.scalars(stmt).first() is not None


@use_case
def end_bans(session: Session, today: dt.date | None = None) -> int:
    """The daily job: take off the bans whose term is over (the code is no longer sanctioned and may
    register again), each audited in the trail of the blacklist and of its organisation. Idempotent;
    commits."""
    today = today or clock.today()
    due = list(
        session.scalars(
            select(BlacklistEntry)
            .where(BlacklistEntry.ends_on.is_not(None), BlacklistEntry.ends_on <= today)
            .order_by(BlacklistEntry.id)
            .with_for_update()
        )
    )
    for entry in due:
        before = {"uscc": entry.uscc, "reason": entry.reason, "ends_on": entry.ends_on}
        record(session, None, "blacklist", entry.id, "end_ban", before, {"ended_on": today})
        org_id = session.scalar(select(Organisation.id).where(Organisation.uscc == entry.uscc))
        if org_id is not None:
            record(session, None, "organisation", org_id, "end_ban", {"blacklist_entry_id": entry.id, **before}, None)
        session.delete(entry)
    session.commit()
    return len(due)
