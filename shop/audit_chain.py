"""Verifying the audit trail (``shop.audit``) and signing checkpoints of it: ``verify_chain``
recomputes every hash from the first entry and holds the trail against every signed checkpoint (and
against copies a third party kept), naming the first entry or checkpoint that does not match;
``record_checkpoint`` signs the head after verifying what came since the last checkpoint, and
``daily_checkpoint`` is the daily job that does it once a day."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.audit import (
    GENESIS,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    audit_key,
    checkpoint_signature,
    entry_hash,
    lock_head,
    unkeyed_entry_hash,
)
from shop.clock import china_date, now, today
from shop.db import use_case
from shop.pagination import Page, paginate

log = logging.getLogger(__name__)


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    problem: str | None = None
    checkpoint_id: int | None = None  # the checkpoint the trail no longer reproduces

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
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        for row in rows:  # a long trail is read in batches without filling the session
            session.expunge(row)


def _checked_count(entry: AuditEntry) -> int | None:
    """What a recorded successful verification (``audit``/``verify_chain``) found."""
    if (
        entry.subject_type == "audit"
        and entry.action == "verify_chain"
        and isinstance(entry.after, dict)
        and entry.after.get("ok")
    ):
        return int(entry.after.get("checked") or 0)
    return None


def _walk(
    session: Session,
    key: bytes,
    keyed_from: int,
    *,
    after_id: int = 0,
    prev_hash: str = GENESIS,
    pins: Mapping[int, list[tuple[str, str, int | None]]] | None = None,
) -> tuple[ChainReport, str, int]:
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
        digest = (
            entry_hash(prev_hash, payload, key) if entry.id >= keyed_from else unkeyed_entry_hash(prev_hash, payload)
        )
        if not hmac.compare_digest(digest, entry.hash):
            return ChainReport(checked, entry.id, "its content does not match its hash"), prev_hash, checked
        count = _checked_count(entry)
        if count is not None:
            if count >= entry.id:
                return (
                    ChainReport(
                        checked, entry.id, f"it records a verification of {count} entries, more than came before it"
                    ),
                    prev_hash,
                    checked,
                )
            if verified is not None and count < verified[1]:
                return (
                    ChainReport(
                        checked,
                        entry.id,
                        f"it records a verification of {count} entries, fewer than the "
                        f"{verified[1]} found by the verification at entry {verified[0]}: "
                        "entries were removed in between",
                    ),
                    prev_hash,
                    checked,
                )
            verified = (entry.id, count)
        for pinned, label, checkpoint_id in pins.get(entry.id, ()):
            if pinned != entry.hash:
                return (
                    ChainReport(
                        checked,
                        entry.id,
                        f"{label} is no longer reproduced: entry {entry.id} is not the one it signed",
                        checkpoint_id,
                    ),
                    prev_hash,
                    checked,
                )
        prev_hash, expected_id, checked = entry.hash, expected_id + 1, checked + 1
    return ChainReport(checked), prev_hash, checked


def _check_checkpoints(key: bytes, keyed_from: int, checkpoints: list[AuditCheckpoint]) -> ChainReport | None:
    previous = None
    for checkpoint in checkpoints:
        if not hmac.compare_digest(checkpoint.signature, checkpoint_signature(key, checkpoint)):
            return ChainReport(
                0,
                None,
                f"{checkpoint.label}: its signature does not match (made or changed without the key)",
                checkpoint.id,
            )
        if checkpoint.keyed_from != keyed_from:
            return ChainReport(
                0,
                None,
                f"{checkpoint.label} was signed for a trail keyed from entry "
                f"{checkpoint.keyed_from}, the head now says {keyed_from}",
                checkpoint.id,
            )
        if previous is not None and checkpoint.entries < previous.entries:
            return ChainReport(
                0,
                None,
                f"{checkpoint.label} covers fewer entries than checkpoint {previous.id} before it",
                checkpoint.id,
            )
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
        return ChainReport(
            0,
            None,
            f"entries 1–{keyed_from - 1} carry no key and no signed checkpoint says the key "
            f"starts at entry {keyed_from}: run flask --app shop audit-checkpoint",
        )
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
    head = session.get(AuditHead, 1, populate_existing=True)  # as it is after the walk
    if head is not None and (head.last_id != last_id or head.last_hash != last_hash):
        return ChainReport(last_id, head.last_id, "the chain ends before the recorded head: entries were removed")
    beyond = [(entries, pin) for entries, pinned in pins.items() if entries > last_id for pin in pinned]
    if beyond:
        entries, (_hash, label, checkpoint_id) = min(beyond, key=lambda b: b[0])
        return ChainReport(
            last_id,
            None,
            f"{label} is no longer reproduced: the trail ends at entry {last_id}, entries were removed",
            checkpoint_id,
        )
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
            report, walked_hash, walked_id = _walk(
                session, key, keyed_from, after_id=last.entries, prev_hash=last.head_hash
            )
    if report.ok and (walked_id != last_id or walked_hash != last_hash):
        report = ChainReport(walked_id, last_id, "the chain ends before the recorded head: entries were removed")
    if not report.ok:
        raise ChainBroken(report)
    checkpoint = AuditCheckpoint(
        created_at=now().replace(microsecond=0), entries=last_id, head_hash=last_hash, keyed_from=keyed_from
    )
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
        log.error(
            "audit trail not checkpointed, it does not verify: entry %s: %s",
            broken.report.broken_id,
            broken.report.problem,
        )


def checkpoint_page(session: Session, page: int, per_page: int) -> Page[AuditCheckpoint]:
    """The signed checkpoints, newest first, a page at a time (published for anyone to keep)."""
    return paginate(session, select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()), page, per_page)
