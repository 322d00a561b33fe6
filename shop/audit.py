"""The audit trail (数据铁笼): every state change leaves an append-only entry, written in the same
transaction as the change, each entry's SHA-256 chained to the one before.

The chain is kept gap-free and in order by a one-row head (``audit_head``) that every writer locks
(``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers). The
database refuses UPDATE and DELETE on entries (triggers created by the migration).
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.clock import now
from shop.db import Base, BigId
from shop.states import StateMachine

GENESIS = "0" * 64

SUBJECT_TYPES = ("organisation", "product", "programme", "quota_application", "checkout", "order", "claim",
                 "holiday", "notice", "objection", "complaint", "audit")


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject", "subject_type", "subject_id", "id"),
        Index("ix_audit_entries_actor", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(BigId)
    action: Mapped[str] = mapped_column(String(60))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "action": self.action,
            "before": self.before,
            "after": self.after,
        }


class AuditHead(Base):
    """The last link of the chain; its row lock orders concurrent writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise RuntimeError("audit entries are append-only")


class Actor(Protocol):
    id: int
    @property
    def label(self) -> str: ...


def jsonable(value: Any) -> Any:
    """Dates, enums and decimals as JSON-safe values, so that the hash is stable."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        raise TypeError("money is integer fen, never Decimal")
    if isinstance(value, float):
        raise TypeError("no floats in the audit trail")
    return value


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:  # a database made without the migration's first row
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def record(session: Session, actor: Actor | None, subject_type: str, subject_id: int, action: str,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry to the trail. Call inside the use case's transaction; it does not commit."""
    if subject_id is None:
        session.flush()
        raise ValueError("flush the subject before auditing it (it has no id yet)")
    head = _lock_head(session)
    entry = AuditEntry(
        id=head.last_id + 1,
        at=now(),
        actor_id=getattr(actor, "id", None),
        actor_label=actor.label if actor is not None else "system",
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry.prev_hash, entry.payload())
    head.last_id = entry.id
    head.last_hash = entry.hash
    session.add(entry)
    from shop import hooks
    hooks.audit_recorded(session, entry)
    return entry


class Audited(Protocol):
    id: int
    status: Any
    def audit_state(self) -> dict[str, Any]: ...


def change_state(session: Session, subject: Audited, machine: StateMachine, action: str,
                 actor: Actor | None, *, subject_type: str, **changes: Any) -> Any:
    """Move ``subject`` along ``machine`` by ``action`` (or refuse with ``invalid_state``), set the
    other attributes given, and audit the change: the one way any status changes."""
    new_status = machine.next(subject.status, action)
    if subject.id is None:
        session.flush()
    before = subject.audit_state()
    subject.status = new_status
    for name, value in changes.items():
        setattr(subject, name, value)
    record(session, actor, subject_type, subject.id, action, before, subject.audit_state())
    return new_status


def history(session: Session, subject_type: str, subject_id: int) -> list[AuditEntry]:
    """A subject's entries, oldest first: the timeline its page shows."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject_type == subject_type,
                                                         AuditEntry.subject_id == subject_id)
                                .order_by(AuditEntry.id)))


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None and self.problem is None


def _entries(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash from the first entry; name the first entry that does not match."""
    prev_hash, expected_id, checked = GENESIS, 1, 0
    for entry in _entries(session):
        if entry.id != expected_id:
            return ChainReport(checked, expected_id, f"entry {expected_id} is missing")
        if entry.prev_hash != prev_hash:
            return ChainReport(checked, entry.id, "its link to the previous entry does not match")
        if entry_hash(prev_hash, entry.payload()) != entry.hash:
            return ChainReport(checked, entry.id, "its content does not match its hash")
        prev_hash, expected_id, checked = entry.hash, expected_id + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != prev_hash):
        return ChainReport(checked, head.last_id, "the chain ends before the recorded head: entries were removed")
    return ChainReport(checked)
