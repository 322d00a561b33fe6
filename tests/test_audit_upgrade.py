"""A trail recorded before the key (migration 0008) keeps verifying after the upgrade, on SQLite and
PostgreSQL: its entries keep their plain SHA-256, the key starts with the next entry, and a signed
checkpoint says so; the old entries can no more be changed than the new ones."""

import datetime as dt

import pytest
from sqlalchemy import insert, text

from shop import audit, audit_chain, create_app
from shop.audit import AuditEntry, AuditHead
from shop.audit_chain import verify_chain
from shop.db import make_engine
from shop.migrate import upgrade
from tests.conftest import PG_SKIP_REASON, PG_URL, _worker, pg_database_url
from tests.tamper import append_only_lifted, plain_sha256, rehash_from


def _database(kind, tmp_path):
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'legacy.sqlite3'}"
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    return pg_database_url(f"_yq_legacy_{_worker()}")


def _record_unkeyed(url, count):
    """What the code before 0008 wrote: entries hashed with plain SHA-256, and the head."""
    engine = make_engine(url)
    prev = audit.GENESIS
    with engine.begin() as connection:
        for n in range(1, count + 1):
            at = dt.datetime(2026, 2, 1, 8, n, tzinfo=dt.UTC)
            row = {
                "id": n,
                "at": at,
                "actor_id": None,
                "actor_label": "system",
                "subject_type": "programme",
                "subject_id": 2026,
                "action": "note",
                "before": None,
                "after": {"n": n},
            }
            payload = {**row, "at": at.isoformat(timespec="microseconds")}
            digest = plain_sha256(prev, payload)
            connection.execute(insert(AuditEntry.__table__).values(**row, prev_hash=prev, hash=digest))
            prev = digest
        connection.execute(
            text("UPDATE audit_head SET last_id = :n, last_hash = :h WHERE id = 1"), {"n": count, "h": prev}
        )
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_unkeyed_trail_keeps_verifying_after_the_upgrade_and_cannot_be_rewritten(kind, tmp_path):
    url = _database(kind, tmp_path)
    upgrade(url, "0007")
    _record_unkeyed(url, 3)
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    try:
        with app.extensions["shop.sessions"]() as session:
            assert session.get(AuditHead, 1).keyed_from == 4
            # until a signed checkpoint says where the key starts, the unkeyed entries are not vouched for
            report = verify_chain(session)
            assert not report.ok and "no signed checkpoint" in report.problem
        assert app.test_cli_runner().invoke(args=["audit-checkpoint"]).exit_code == 0
        with app.extensions["shop.sessions"]() as session:
            audit.record(session, None, "programme", 2026, "note", None, {"n": 4})
            audit.record(session, None, "programme", 2026, "note", None, {"n": 5})
            session.commit()
            report = verify_chain(session)
            assert report.ok and report.checked == 5
            fourth = session.get(AuditEntry, 4)
            assert fourth.hash == audit.entry_hash(fourth.prev_hash, fourth.payload(), app.config["AUDIT_KEY"].encode())
            # an old entry edited and every hash from it recomputed as before: the checkpoint of the
            # upgrade gives it away at entry 3, and without any checkpoint the first keyed entry would
            with append_only_lifted(session, "audit_entries"):
                session.execute(text("UPDATE audit_entries SET actor_label = 'someone-else' WHERE id = 2"))
            rehash_from(session, 2)
            report = verify_chain(session)
            assert report.broken_id == 3 and "checkpoint 1" in report.problem
            walked, _hash, _last = audit_chain._walk(session, app.config["AUDIT_KEY"].encode(), 4)
            assert walked.broken_id == 4
    finally:
        app.extensions["shop.engine"].dispose()
