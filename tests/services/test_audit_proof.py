"""The audit trail a database administrator cannot rewrite (issue 11, "Proof that no fen goes
missing"; the review's M5): each entry's hash is an HMAC with ``AUDIT_KEY``, which never enters the
database, and signed checkpoints of the head, published on the public notice, pin the chain as it was.
Every tampering step of M5 is tried here and must make ``audit-verify`` exit 1, naming what broke."""

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select, text

from shop import audit, audit_chain, clock
from shop.audit import AuditEntry, AuditHead
from shop.audit_chain import verify_chain
from shop.states import Role
from tests.helpers import fresh, make_org, make_staff
from tests.tamper import append_only_lifted, plain_sha256, rehash_from


@pytest.fixture(autouse=True)
def on_a_monday_in_march(today):
    today("2026-03-02")


def _checkpoints():
    from shop.audit import AuditCheckpoint

    return AuditCheckpoint


def _note(session, org, n):
    audit.record(session, None, "organisation", org.id, "note", None, {"n": n})


@pytest.fixture
def trail(session):
    """Twelve entries."""
    org = make_org(session)
    for n in range(12):
        _note(session, org, n)
    session.commit()
    return org


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit-verify"])


def _checkpoint(app):
    result = app.test_cli_runner().invoke(args=["audit-checkpoint"])
    assert result.exit_code == 0, result.output
    return result


def test_each_hash_is_an_hmac_with_the_audit_key_not_a_plain_sha256(app, session, trail):
    key = app.config["AUDIT_KEY"].encode()
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        canonical = json.dumps(entry.payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert entry.hash == hmac.new(key, (entry.prev_hash + canonical).encode(), hashlib.sha256).hexdigest()
        assert entry.hash != plain_sha256(entry.prev_hash, entry.payload())


def test_hashes_recomputed_with_plain_sha256_from_an_entry_on_and_the_head_are_found(app, session, trail):
    """M5, step 3: entry 5 edited, then every hash from it on and the head recomputed."""
    assert _verify(app).exit_code == 0
    with append_only_lifted(session, "audit_entries"):
        session.execute(text("UPDATE audit_entries SET actor_label = 'someone-else' WHERE id = 5"))
    rehash_from(session, 5)
    result = _verify(app)
    assert result.exit_code == 1 and "entry 5" in result.output, result.output
    assert verify_chain(fresh(session)).broken_id == 5


def test_a_chain_recomputed_whole_and_declared_unkeyed_breaks_the_checkpoint(app, session, trail):
    """The administrator goes further: every hash recomputed without the key, and the head made to
    say the key starts after the last entry (as if the trail were all from before the key)."""
    _checkpoint(app)
    rehash_from(session, 1)
    session.execute(text("UPDATE audit_head SET keyed_from = last_id + 1 WHERE id = 1"))
    session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "checkpoint 1" in result.output, result.output


def test_a_chain_declared_unkeyed_without_a_checkpoint_to_say_so_fails(app, session, trail):
    """Nor does deleting every checkpoint help: unkeyed entries need a signed checkpoint that says
    where the key starts (one is made right after the upgrade that introduced the key)."""
    rehash_from(session, 1)
    session.execute(text("UPDATE audit_head SET keyed_from = last_id + 1 WHERE id = 1"))
    session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "no signed checkpoint" in result.output, result.output


def test_removing_the_newest_entries_and_moving_the_head_back_breaks_the_last_checkpoint(app, session, trail):
    """M5, step 4: the newest 3 entries deleted and the head moved back to entry 9."""
    _checkpoint(app)
    ninth = session.get(AuditEntry, 9).hash
    with append_only_lifted(session, "audit_entries"):
        session.execute(text("DELETE FROM audit_entries WHERE id > 9"))
        session.execute(text("UPDATE audit_head SET last_id = 9, last_hash = :h WHERE id = 1"), {"h": ninth})
    result = _verify(app)
    assert result.exit_code == 1 and "checkpoint 1" in result.output and "12 entries" in result.output, result.output
    # the trail then grows again with properly keyed entries: the checkpoint still does not reproduce
    for n in range(5):
        _note(session, trail, 100 + n)
    session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "checkpoint 1" in result.output and "entry 12" in result.output, result.output


def test_a_checkpoint_whose_signature_is_wrong_is_named(app, session, trail):
    """Inserting rows is allowed (the triggers refuse changes): a made-up checkpoint of a made-up head."""
    _checkpoint(app)
    first = session.scalars(select(_checkpoints())).one()
    session.add(
        _checkpoints()(
            created_at=first.created_at,
            entries=first.entries,
            head_hash=first.head_hash,
            keyed_from=first.keyed_from,
            signature="0" * 64,
        )
    )
    session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "checkpoint 2" in result.output and "signature" in result.output, result.output


def test_without_the_key_no_entry_verifies(app, session, trail):
    """The code is no secret; the key is. Verified with another key (the development default, say),
    not even the first entry holds."""
    from shop import create_app

    other = create_app(
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "TESTING": True,
            "AUDIT_KEY": "another-key-of-at-least-thirty-two-characters",
        }
    )
    try:
        result = other.test_cli_runner().invoke(args=["audit-verify"])
    finally:
        other.extensions["shop.engine"].dispose()
    assert result.exit_code == 1 and "entry 1" in result.output, result.output


def test_verifications_whose_counts_decrease_break_the_chain(app, session, trail):
    """Each recorded verification (``audit``/``verify_chain``) says how many entries it found: a later
    one finding fewer, or one finding more than came before it, means entries went missing."""
    from shop import audit_search

    operator = make_staff(session, Role.OPERATOR)
    audit_search.record_chain_verification(session, operator, verify_chain(session))
    assert verify_chain(session).ok
    audit.record(
        session,
        operator,
        "audit",
        1,
        "verify_chain",
        None,
        {"ok": True, "checked": 5, "broken_id": None, "problem": None},
    )
    session.commit()
    report = verify_chain(session)
    assert not report.ok and report.broken_id == 14 and "fewer" in report.problem


def test_a_verification_claiming_more_entries_than_came_before_it_breaks_the_chain(session, trail):
    audit.record(
        session, None, "audit", 1, "verify_chain", None, {"ok": True, "checked": 40, "broken_id": None, "problem": None}
    )
    session.commit()
    report = verify_chain(session)
    assert not report.ok and report.broken_id == 13


def test_a_verification_overtaken_by_a_later_one_is_not_recorded_with_a_lower_count(session, trail):
    """Two staff verify at once: the slower one read fewer entries; recorded second, it would look
    like entries disappeared, so it is not recorded (the later verification covers it)."""
    from shop.audit_search import record_chain_verification

    operator = make_staff(session, Role.OPERATOR)
    early = verify_chain(session)
    _note(session, trail, 99)
    session.commit()
    record_chain_verification(session, operator, verify_chain(session))
    record_chain_verification(session, operator, early)
    assert verify_chain(session).ok
    assert session.scalar(select(func.count()).where(AuditEntry.action == "verify_chain")) == 1


def test_audit_checkpoint_signs_the_head_and_refuses_a_broken_chain(app, session, trail):
    result = _checkpoint(app)
    checkpoint = fresh(session).scalars(select(_checkpoints())).one()
    head = session.get(AuditHead, 1)
    assert (checkpoint.entries, checkpoint.head_hash, checkpoint.keyed_from) == (12, head.last_hash, 1)
    assert checkpoint.signature == audit.checkpoint_signature(app.config["AUDIT_KEY"], checkpoint)
    assert "checkpoint 1: 12 entries" in result.output and head.last_hash in result.output
    # what came since the last checkpoint is verified before the head is signed again
    for n in range(3):
        _note(session, trail, 20 + n)
    session.commit()
    with append_only_lifted(session, "audit_entries"):
        session.execute(text("UPDATE audit_entries SET actor_label = 'someone-else' WHERE id = 14"))
    refused = app.test_cli_runner().invoke(args=["audit-checkpoint"])
    assert refused.exit_code == 1 and "entry 14" in refused.output
    assert fresh(session).scalar(select(func.count()).select_from(_checkpoints())) == 1


def test_the_first_checkpoint_verifies_the_whole_trail(app, session, trail):
    with append_only_lifted(session, "audit_entries"):
        session.execute(text("UPDATE audit_entries SET actor_label = 'someone-else' WHERE id = 3"))
    refused = app.test_cli_runner().invoke(args=["audit-checkpoint"])
    assert refused.exit_code == 1 and "entry 3" in refused.output
    assert fresh(session).scalar(select(func.count()).select_from(_checkpoints())) == 0


def test_the_daily_job_records_one_checkpoint_a_day(app, session, trail, today):
    app.config["AUDIT_CHECKPOINT_DAILY"] = True  # off for the other tests (tests/conftest.py)
    job = app.extensions["shop.daily_jobs"]["shop.audit_checkpoint"]
    with app.extensions["shop.sessions"]() as own:
        job(own, clock.today())
        job(own, clock.today())
    assert fresh(session).scalar(select(func.count()).select_from(_checkpoints())) == 1
    today("2026-03-03")
    _note(session, trail, 50)
    session.commit()
    with app.extensions["shop.sessions"]() as own:
        job(own, clock.today())
    entries = fresh(session).scalars(select(_checkpoints().entries).order_by(_checkpoints().id)).all()
    assert entries == [12, 13]


def test_checkpoints_are_append_only(session, trail):
    audit_chain.record_checkpoint(session)
    for statement in ("UPDATE audit_checkpoints SET entries = 1", "DELETE FROM audit_checkpoints"):
        with pytest.raises(Exception, match="append-only"):
            session.execute(text(statement))
        session.rollback()


def test_the_key_is_never_written_to_the_database(app, session, trail):
    audit_chain.record_checkpoint(session)
    key = app.config["AUDIT_KEY"]
    for table in ("audit_entries", "audit_head", "audit_checkpoints"):
        for row in session.execute(text(f"SELECT * FROM {table}")):
            assert key not in " ".join(str(value) for value in row)
