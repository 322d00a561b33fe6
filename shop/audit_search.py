"""Reading the audit trail: the search of its entries (by subject, actor and day) and the status of
the hash chain's last verification, which staff record on request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop import clock
from shop.accounts import User
from shop.audit import SUBJECT_TYPES, AuditEntry, lock_head, record
from shop.auth import normalise_email
from shop.db import use_case
from shop.errors import Forbidden
from shop.i18n import _l
from shop.inputs import Inputs


@dataclass(frozen=True)
class AuditFilter:
    """A search of the trail: by subject, by who acted (an e-mail address, a user number or
    "system"), and by the days in China it happened on."""

    subject_type: str | None = None
    subject_id: int | None = None
    actor: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None) -> Self:
        """Every fault at once (a subject type it does not know, a period that ends before it starts)."""
        inputs = Inputs(args)
        subject_type = inputs.choice("subject_type", SUBJECT_TYPES, required=False)
        subject_id = inputs.integer("subject_id", required=False, minimum=1, maximum=2**62)
        actor = inputs.text("actor", required=False, max_length=254)
        since = inputs.date("since", required=False)
        until = inputs.date("until", required=False)
        if since and until and until < since:
            inputs.error("until", _l("The end of the period is before its start."))
        inputs.check()
        return cls(subject_type, subject_id, actor.strip() if actor else None, since, until)


def audit_query(session: Session, where: AuditFilter):  # type: ignore[no-untyped-def]
    """The entries matching ``where``, newest first (each condition uses an index of the trail)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if where.subject_type:
        stmt = stmt.where(AuditEntry.subject_type == where.subject_type)
    if where.subject_id is not None:
        stmt = stmt.where(AuditEntry.subject_id == where.subject_id)
    if where.actor:
        if where.actor.lower() == "system":
            stmt = stmt.where(AuditEntry.actor_id.is_(None))
        elif where.actor.isascii() and where.actor.isdigit() and len(where.actor) <= 18:  # not "²"
            stmt = stmt.where(AuditEntry.actor_id == int(where.actor))
        else:
            user_id = session.scalar(select(User.id).where(User.email == normalise_email(where.actor)))
            stmt = (
                stmt.where(AuditEntry.actor_id == user_id)
                if user_id is not None
                else stmt.where(AuditEntry.actor_label == where.actor)
            )
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
    last = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "audit", AuditEntry.action == "verify_chain")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    after_id = last.id if last is not None else 0
    since = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.id > after_id)) or 0
    if last is None:
        return ChainStatus(None, None, 0, None, None, since, None)
    result = last.after or {}
    return ChainStatus(
        last.at,
        bool(result.get("ok")),
        int(result.get("checked", 0)),
        result.get("broken_id"),
        result.get("problem"),
        since,
        last.actor_label,
    )


@use_case
def record_chain_verification(session: Session, actor: User, report: Any) -> None:
    """Keep the result of a verification in the trail (a third party can see when it was checked)."""
    if not actor.is_staff:
        raise Forbidden()
    lock_head(session)
    last = session.scalars(
        select(AuditEntry.after)
        .where(AuditEntry.subject_type == "audit", AuditEntry.action == "verify_chain")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if report.ok and last and last.get("ok") and report.checked < int(last.get("checked") or 0):
        # overtaken by a verification recorded meanwhile, which read more of the trail: recorded after
        # it, this one would say entries disappeared (audit-verify checks that the counts never fall)
        session.rollback()
        return
    record(
        session,
        actor,
        "audit",
        1,
        "verify_chain",
        None,
        {"ok": report.ok, "checked": report.checked, "broken_id": report.broken_id, "problem": report.problem},
    )
    session.commit()
