"""The signed checkpoints of the audit trail, public (issue 11): ``GET /api/v1/audit/checkpoints`` and the
public notice page show them to anyone, so that a third party can keep a copy and later hold the trail
to it (``audit-verify --held ENTRIES:HEAD_HASH``), even after every checkpoint row was deleted."""

import pytest
from sqlalchemy import text as sql

from shop import audit, audit_chain
from tests.helpers import make_org
from tests.tamper import append_only_lifted


@pytest.fixture(autouse=True)
def in_march(today):
    today("2026-03-02")


@pytest.fixture
def checkpoints(session):
    """Two checkpoints, of 4 and of 7 entries."""
    org = make_org(session)
    for n in range(7):
        audit.record(session, None, "organisation", org.id, "note", None, {"n": n})
        if n == 3:
            session.commit()
            audit_chain.record_checkpoint(session)
    session.commit()
    audit_chain.record_checkpoint(session)
    return org


def test_anyone_reads_the_checkpoints_newest_first_and_paged(client, session, checkpoints):
    response = client.get("/api/v1/audit/checkpoints")
    assert response.status_code == 200
    data = response.json
    assert data["total"] == 2 and [item["entries"] for item in data["items"]] == [7, 4]
    newest = data["items"][0]
    assert set(newest) == {"entries", "head_hash", "keyed_from", "created_at", "signature"}
    assert newest["head_hash"] == session.get(audit.AuditEntry, 7).hash and newest["keyed_from"] == 1
    assert newest["created_at"].endswith("+00:00") and len(newest["signature"]) == 64
    second = client.get("/api/v1/audit/checkpoints?per_page=1&page=2").json
    assert [item["entries"] for item in second["items"]] == [4] and second["total"] == 2


def test_the_public_notice_shows_the_latest_checkpoints(client, session, checkpoints):
    page = client.get("/notices").get_data(as_text=True)
    newest = session.get(audit.AuditEntry, 7).hash
    assert "审计链检查点" in page and newest in page and "/api/v1/audit/checkpoints" in page


def test_a_kept_copy_finds_a_trail_cut_back_with_its_checkpoints_deleted(app, client, session, checkpoints):
    """The administrator removes the newest 3 entries, moves the head back and deletes every
    checkpoint: the database alone looks intact, the copy a third party kept from the notice does not."""
    kept = client.get("/api/v1/audit/checkpoints").json["items"][0]
    fourth = session.get(audit.AuditEntry, 4).hash
    with append_only_lifted(session, "audit_entries", "audit_checkpoints"):
        session.execute(sql("DELETE FROM audit_entries WHERE id > 4"))
        session.execute(sql("DELETE FROM audit_checkpoints"))
        session.execute(sql("UPDATE audit_head SET last_id = 4, last_hash = :h WHERE id = 1"), {"h": fourth})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    result = runner.invoke(args=["audit-verify", "--held", f"{kept['entries']}:{kept['head_hash']}"])
    assert result.exit_code == 1 and "the kept checkpoint of 7 entries" in result.output, result.output
