"""What a database administrator can do that the application never does: lift the append-only
triggers and rewrite rows (the security review's M5). For the tests that prove the verifiers find it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
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
        session.rollback()   # the triggers come back with the rollback (DDL is transactional in both)
        raise
    for table in tables:
        if sqlite:
            for event in ("UPDATE", "DELETE"):
                session.execute(text(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                                     f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"))
        else:
            session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
    session.commit()
