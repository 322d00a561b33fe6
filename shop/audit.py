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
trail no longer reproduces one (docs/reliability.md, "Proof that no fen goes missing").
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import logging
import os
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.clock import china_date, now, today
from shop.db import Base, BigId, use_case
from shop.states import StateMachine

log = logging.getLogger(__name__)

GENESIS = "0" * 64

SUBJECT_TYPES = ("organisation", "product", "programme", "quota_application", "checkout", "order", "claim",
                 "holiday", "notice", "objection", "complaint", "audit", "blacklist", "user")


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
        return (f"checkpoint {self.id} of {self.created_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
                f"({self.entries} entries, head {self.head_hash[:12]}…)")

    def as_json(self) -> dict[str, Any]:
        return {"entries": self.entries, "head_hash": self.head_hash, "keyed_from": self.keyed_from,
                "created_at": _utc(self.created_at), "signature": self.signature}


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
    message = b"yunquan-audit-checkpoint/1\n" + _canonical({
        "entries": checkpoint.entries, "head_hash": checkpoint.head_hash, "keyed_from": checkpoint.keyed_from,
        "created_at": _utc(checkpoint.created_at)})
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def lock_head(session: Session) -> AuditHead:
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


def change_state(session: Session, subject: Audited, machine: StateMachine, action: str,
                 actor: Actor | None, *, subject_type: str, field: str = "status", audit_action: str | None = None,
                 **changes: Any) -> Any:
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
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject_type == subject_type,
                                                         AuditEntry.subject_id == subject_id)
                                .order_by(AuditEntry.id)))


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    problem: str | None = None
    checkpoint_id: int | None = None   # the checkpoint the trail no longer reproduces

    @property
    def ok(self) -> bool:
        return self.broken_id is None and self.problem is None


class ChainBroken(Exception):
    """``record_checkpoint`` refuses to sign a trail that does not verify."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.problem)
        self.report = report


def _entries(session: Session, after_id: int = 0, batch: int = 2000) -> Iterator[AuditEntry]:
    last = after_id
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        for row in rows:   # a long trail is read in batches without filling the session
            session.expunge(row)


def _checked_count(entry: AuditEntry) -> int | None:
    """What a recorded successful verification (``audit``/``verify_chain``) found."""
    if entry.subject_type == "audit" and entry.action == "verify_chain" and isinstance(entry.after, dict) \
            and entry.after.get("ok"):
        return int(entry.after.get("checked") or 0)
    return None


def _walk(session: Session, key: bytes, keyed_from: int, *, after_id: int = 0, prev_hash: str = GENESIS,
          pins: Mapping[int, list[tuple[str, str, int | None]]] | None = None) -> tuple[ChainReport, str, int]:
    """Recompute the hashes of the entries after ``after_id`` (whose hash is ``prev_hash``). ``pins``
    are what checkpoints say an entry's hash was: ``{entry id: [(hash, label, checkpoint id)]}``.
    Returns the report, the last hash and the last entry's id."""
    pins = pins or {}
    expected_id, checked, verified = after_id + 1, after_id, None
    for entry in _entries(session, after_id):
        if entry.id != expected_id:
            return ChainReport(checked, expected_id, f"entry {expected_id} is missing"), prev_hash, checked
        if entry.prev_hash != prev_hash:
            return ChainReport(checked, entry.id, "its link to the previous entry does not match"), prev_hash, checked
        payload = entry.payload()
        digest = entry_hash(prev_hash, payload, key) if entry.id >= keyed_from else unkeyed_entry_hash(prev_hash, payload)
        if not hmac.compare_digest(digest, entry.hash):
            return ChainReport(checked, entry.id, "its content does not match its hash"), prev_hash, checked
        count = _checked_count(entry)
        if count is not None:
            if count >= entry.id:
                return ChainReport(checked, entry.id, f"it records a verification of {count} entries, more than "
                                                      "came before it"), prev_hash, checked
            if verified is not None and count < verified[1]:
                return ChainReport(checked, entry.id, f"it records a verification of {count} entries, fewer than the "
                                                      f"{verified[1]} found by the verification at entry {verified[0]}: "
                                                      "entries were removed in between"), prev_hash, checked
            verified = (entry.id, count)
        for pinned, label, checkpoint_id in pins.get(entry.id, ()):
            if pinned != entry.hash:
                return ChainReport(checked, entry.id, f"{label} is no longer reproduced: entry {entry.id} is not "
                                                      "the one it signed", checkpoint_id), prev_hash, checked
        prev_hash, expected_id, checked = entry.hash, expected_id + 1, checked + 1
    return ChainReport(checked), prev_hash, checked


def _check_checkpoints(key: bytes, keyed_from: int, checkpoints: list[AuditCheckpoint]) -> ChainReport | None:
    previous = None
    for checkpoint in checkpoints:
        if not hmac.compare_digest(checkpoint.signature, checkpoint_signature(key, checkpoint)):
            return ChainReport(0, None, f"{checkpoint.label}: its signature does not match (made or changed "
                                        "without the key)", checkpoint.id)
        if checkpoint.keyed_from != keyed_from:
            return ChainReport(0, None, f"{checkpoint.label} was signed for a trail keyed from entry "
                                        f"{checkpoint.keyed_from}, the head now says {keyed_from}", checkpoint.id)
        if previous is not None and checkpoint.entries < previous.entries:
            return ChainReport(0, None, f"{checkpoint.label} covers fewer entries than checkpoint {previous.id} "
                                        "before it", checkpoint.id)
        previous = checkpoint
    return None


def verify_chain(session: Session, held: Mapping[int, str] | None = None) -> ChainReport:
    """Recompute every hash from the first entry and hold the trail against every checkpoint (and
    against ``held``, ``{entries: head hash}`` copies of checkpoints a third party kept); name the first
    entry or checkpoint that does not match."""
    key = audit_key(session)
    head = session.get(AuditHead, 1)
    keyed_from = head.keyed_from if head is not None else 1
    checkpoints = list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
    problem = _check_checkpoints(key, keyed_from, checkpoints)
    if problem is not None:
        return problem
    if keyed_from > 1 and not checkpoints:
        return ChainReport(0, None, f"entries 1–{keyed_from - 1} carry no key and no signed checkpoint says the key "
                                    f"starts at entry {keyed_from}: run flask --app shop audit-checkpoint")
    pins: dict[int, list[tuple[str, str, int | None]]] = defaultdict(list)
    for checkpoint in checkpoints:
        pins[checkpoint.entries].append((checkpoint.head_hash, checkpoint.label, checkpoint.id))
    for entries, head_hash in (held or {}).items():
        pins[entries].append((head_hash, f"the kept checkpoint of {entries} entries (head {head_hash[:12]}…)", None))
    for pinned, label, checkpoint_id in pins.get(0, ()):
        if pinned != GENESIS:
            return ChainReport(0, None, f"{label} is no longer reproduced", checkpoint_id)
    report, last_hash, last_id = _walk(session, key, keyed_from, pins=pins)
    if not report.ok:
        return report
    head = session.get(AuditHead, 1, populate_existing=True)   # as it is after the walk
    if head is not None and (head.last_id != last_id or head.last_hash != last_hash):
        return ChainReport(last_id, head.last_id, "the chain ends before the recorded head: entries were removed")
    beyond = [(entries, pin) for entries, pinned in pins.items() if entries > last_id for pin in pinned]
    if beyond:
        entries, (_hash, label, checkpoint_id) = min(beyond, key=lambda b: b[0])
        return ChainReport(last_id, None, f"{label} is no longer reproduced: the trail ends at entry {last_id}, "
                                          "entries were removed", checkpoint_id)
    return report


@use_case
def record_checkpoint(session: Session, *, once_a_day: bool = False) -> AuditCheckpoint | None:
    """Sign the head as it is now (``flask --app shop audit-checkpoint``; the daily job with
    ``once_a_day``, which records nothing when today already has one). The trail is verified first,
    from the last checkpoint on (the whole trail for the first one), so a tampered head is never
    signed; the head stays locked meanwhile, so that the checkpoint is exactly the trail verified.
    Raises ``ChainBroken`` (nothing recorded) when it does not verify."""
    key = audit_key(session)
    head = lock_head(session)
    last_id, last_hash, keyed_from = head.last_id, head.last_hash, head.keyed_from
    last = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    if once_a_day and last is not None and china_date(last.created_at) == today():
        session.rollback()
        return None
    if last is None:
        report, walked_hash, walked_id = _walk(session, key, keyed_from)
    else:
        report = _check_checkpoints(key, keyed_from, [last]) or ChainReport(0)
        start = session.get(AuditEntry, last.entries) if last.entries else None
        start_hash = start.hash if start is not None else (GENESIS if last.entries == 0 else None)
        if report.ok and start_hash != last.head_hash:
            report = ChainReport(0, last.entries, f"{last.label} is no longer reproduced", last.id)
        walked_hash, walked_id = last.head_hash, last.entries
        if report.ok:
            report, walked_hash, walked_id = _walk(session, key, keyed_from, after_id=last.entries,
                                                   prev_hash=last.head_hash)
    if report.ok and (walked_id != last_id or walked_hash != last_hash):
        report = ChainReport(walked_id, last_id, "the chain ends before the recorded head: entries were removed")
    if not report.ok:
        raise ChainBroken(report)
    checkpoint = AuditCheckpoint(created_at=now().replace(microsecond=0), entries=last_id, head_hash=last_hash,
                                 keyed_from=keyed_from)
    checkpoint.signature = checkpoint_signature(key, checkpoint)
    session.add(checkpoint)
    session.commit()
    return checkpoint


def daily_checkpoint(session: Session, _today: dt.date) -> None:
    """The daily job: one checkpoint a day. A broken trail is logged, not retried on every request
    (``audit-verify`` says where it broke)."""
    try:
        record_checkpoint(session, once_a_day=True)
    except ChainBroken as broken:
        log.error("audit trail not checkpointed, it does not verify: entry %s: %s", broken.report.broken_id,
                  broken.report.problem)


def latest_checkpoints(session: Session, limit: int = 5) -> list[AuditCheckpoint]:
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit)))
