"""What a database administrator can do that the application never does: lift the append-only
triggers and rewrite rows (the security review's M5). For the tests that prove the verifiers find it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session


@contextmanager
def append_only_lifted(session: Session, *tables: str) -> Iterator[None]:
    """Within the block ``tables`` accept UPDATE and DELETE; the triggers are back and
    the change committed on the way out (rolled back, triggers and all, when the block raises)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    for table in tables:
        if sqlite:
            session.execute(text(f"DROP TRIGGER {table}_no_update"))
            session.execute(text(f"DROP TRIGGER {table}_no_delete"))
        else:
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
    try:
        yield
    except BaseException:
        session.rollback()  # the triggers come back with the rollback (DDL is transactional in both)
        raise
    for table in tables:
        if sqlite:
            for event in ("UPDATE", "DELETE"):
                session.execute(
                    text(
                        f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                    )
                )
        else:
            session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
    session.commit()


def plain_sha256(prev_hash: str, payload: dict[str, Any]) -> str:
    """The chain's hash before it was keyed (and what anyone can compute without the key)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def rehash_from(session: Session, first_id: int, hash_fn: Callable[[str, dict[str, Any]], str] = plain_sha256) -> None:
    """M5: recompute the link and hash of every entry from ``first_id`` on, and the head, so that the
    chain is consistent again after an edit; the review used the application's own (unkeyed) function."""
    from shop.audit import GENESIS, AuditEntry

    previous = session.scalars(select(AuditEntry).where(AuditEntry.id == first_id - 1)).one_or_none()
    prev_hash = previous.hash if previous is not None else GENESIS
    rows = session.scalars(select(AuditEntry).where(AuditEntry.id >= first_id).order_by(AuditEntry.id)).all()
    new = []
    for entry in rows:
        digest = hash_fn(prev_hash, entry.payload())
        new.append((entry.id, prev_hash, digest))
        prev_hash = digest
    session.expunge_all()
    with append_only_lifted(session, "audit_entries"):
        # the new hashes go through a temporary value first: the column is unique
        for entry_id, _link, _digest in new:
            session.execute(
                text("UPDATE audit_entries SET hash = :h WHERE id = :id"), {"h": f"tmp{entry_id}", "id": entry_id}
            )
        for entry_id, link, digest in new:
            session.execute(
                text("UPDATE audit_entries SET prev_hash = :p, hash = :h WHERE id = :id"),
                {"p": link, "h": digest, "id": entry_id},
            )
        session.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": prev_hash})
