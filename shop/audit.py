"""The audit trail (数据铁笼): every state change leaves an append-only entry, written in the same
transaction as the change, each entry's hash chained to the one before.

The chain is kept gap-free and in order by a one-row head (``audit_head``) that every writer locks
(``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers). The
database refuses UPDATE and DELETE on entries (triggers created by the migration).

The hash is an HMAC-SHA256 with ``AUDIT_KEY``, which comes from the environment and is never written
to the database: whoever holds the database but not the key (its administrator, a stolen backup) can
drop the triggers and edit rows, but cannot make the hashes agree again (review M5). Trails recorded
before the key existed stay as they were: the head's ``keyed_from`` (set by migration 0008 to the entry
after the last one) says where the key starts, entries before it keep their plain SHA-256, and the
first keyed entry's HMAC covers the last of them, so they cannot change either.

What the key cannot prevent is cutting the newest entries off and moving the head back, or
recomputing the whole trail as if it were all from before the key. Checkpoints can: each
``audit_checkpoints`` row signs (HMAC) the number of entries, the head's hash, the time and where the
key starts. ``audit-checkpoint`` records one (the daily job too), the public notice and
``GET /api/v1/audit/checkpoints`` publish them for anyone to keep, and ``verify_chain`` fails when the
trail no longer reproduces one (docs/reliability.md, "Proof that no fen goes missing"). Verifying the
chain and signing checkpoints are ``shop.audit_chain``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import os
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.clock import now
from shop.db import Base, BigId
from shop.states import StateMachine

GENESIS = "0" * 64

SUBJECT_TYPES = (
    "organisation",
    "product",
    "programme",
    "quota_application",
    "reconsideration",
    "checkout",
    "order",
    "contract_voucher",
    "claim",
    "recovery",
    "payment_request",
    "holiday",
    "notice",
    "objection",
    "complaint",
    "audit",
    "blacklist",
    "user",
)


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
    """The last link of the chain; its row lock orders concurrent writers. ``keyed_from`` is the first
    entry hashed with the key (1 for a trail begun after migration 0008)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))
    keyed_from: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))


class AuditCheckpoint(Base):
    """A signed statement that the trail had ``entries`` entries ending in ``head_hash`` at
    ``created_at``, its key starting at entry ``keyed_from``. Append-only (database triggers)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime]
    entries: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    keyed_from: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(64))

    @property
    def label(self) -> str:
        return (
            f"checkpoint {self.id} of {self.created_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
            f"({self.entries} entries, head {self.head_hash[:12]}…)"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "head_hash": self.head_hash,
            "keyed_from": self.keyed_from,
            "created_at": _utc(self.created_at),
            "signature": self.signature,
        }


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise RuntimeError("audit entries are append-only")
        if isinstance(obj, AuditCheckpoint):
            raise RuntimeError("audit checkpoints are append-only")


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


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(prev_hash: str, payload: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 with the audit key over the previous hash and the entry's canonical JSON."""
    return hmac.new(key, prev_hash.encode("ascii") + _canonical(payload), hashlib.sha256).hexdigest()


def unkeyed_entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """The hash of an entry recorded before the key existed (before the head's ``keyed_from``)."""
    return hashlib.sha256(prev_hash.encode("ascii") + _canonical(payload)).hexdigest()


def audit_key(session: Session) -> bytes:
    """The key of the session's application (``AUDIT_KEY``, put in ``Session.info`` by
    ``shop.create_app``); a session made without the application reads the environment the same way."""
    key = session.info.get("audit_key")
    if key is None:
        from shop.config import audit_key_from_environment

        key = audit_key_from_environment(os.environ.get("SHOP_ENV", "production"))
    return key.encode("utf-8") if isinstance(key, str) else key


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()


def checkpoint_signature(key: str | bytes, checkpoint: AuditCheckpoint) -> str:
    """HMAC-SHA256 with the audit key over ``yunquan-audit-checkpoint/1`` and the canonical JSON of
    the checkpoint's entries, head hash, time (UTC, whole seconds) and first keyed entry."""
    key = key.encode("utf-8") if isinstance(key, str) else key
    message = b"yunquan-audit-checkpoint/1\n" + _canonical(
        {
            "entries": checkpoint.entries,
            "head_hash": checkpoint.head_hash,
            "keyed_from": checkpoint.keyed_from,
            "created_at": _utc(checkpoint.created_at),
        }
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def lock_head(session: Session) -> AuditHead:
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:  # a database made without the migration's first row
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    actor: Actor | None,
    subject_type: str,
    subject_id: int,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the trail. Call inside the use case's transaction; it does not commit."""
    if subject_id is None:
        session.flush()
        raise ValueError("flush the subject before auditing it (it has no id yet)")
    head = lock_head(session)
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
    entry.hash = entry_hash(entry.prev_hash, entry.payload(), audit_key(session))
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


def change_state(
    session: Session,
    subject: Audited,
    machine: StateMachine,
    action: str,
    actor: Actor | None,
    *,
    subject_type: str,
    field: str = "status",
    audit_action: str | None = None,
    **changes: Any,
) -> Any:
    """Move ``subject`` along ``machine`` by ``action`` (or refuse with ``invalid_state``), set the
    other attributes given, and audit the change: the one way any status changes. ``field`` names the
    status the machine moves (an order's ``payment_status``); ``audit_action`` is the entry's action
    when it is not ``action``."""
    new_status = machine.next(getattr(subject, field), action)
    if subject.id is None:
        session.flush()
    before = subject.audit_state()
    setattr(subject, field, new_status)
    for name, value in changes.items():
        setattr(subject, name, value)
    record(session, actor, subject_type, subject.id, audit_action or action, before, subject.audit_state())
    return new_status


def history(session: Session, subject_type: str, subject_id: int) -> list[AuditEntry]:
    """A subject's entries, oldest first: the timeline its page shows."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.id)
        )
    )


def latest_checkpoints(session: Session, limit: int = 5) -> list[AuditCheckpoint]:
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit)))
