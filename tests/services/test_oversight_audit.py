"""The audit trail searched by subject, actor and day, and the state of its hash chain."""

import datetime as dt

import pytest
from sqlalchemy import select

from shop import audit_search
from shop.audit import AuditEntry
from shop.audit_chain import verify_chain
from shop.errors import DomainError
from shop.states import Role
from tests.helpers import grant_wallet, make_org, make_programme, make_staff, member


@pytest.fixture
def trail(session, today):
    today("2026-03-02")
    make_programme(session)
    first, second = make_org(session), make_org(session)
    return {
        "first": first,
        "second": second,
        "application": grant_wallet(session, first),
        "other": grant_wallet(session, second),
    }


def _search(session, **where):
    return session.scalars(audit_search.audit_query(session, audit_search.AuditFilter(**where))).all()


def test_the_trail_is_searched_by_subject_type_and_number(session, trail):
    application = trail["application"]
    found = _search(session, subject_type="quota_application", subject_id=application.id)
    assert [e.action for e in found] == ["grant", "apply"]  # newest first
    assert all(e.subject_id == application.id for e in found)
    assert len(_search(session, subject_type="quota_application")) == 4


def test_the_trail_is_searched_by_who_acted_by_e_mail_number_or_system(session, trail):
    applicant = member(trail["first"])
    by_mail = _search(session, actor=applicant.email.upper())
    assert by_mail and {e.actor_id for e in by_mail} == {applicant.id}
    assert [e.id for e in _search(session, actor=str(applicant.id))] == [e.id for e in by_mail]
    system = _search(session, actor="system")
    assert system and all(e.actor_id is None for e in system)  # the notices published for the grants
    assert _search(session, actor="nobody@example.com") == []


def test_the_trail_is_searched_by_the_days_in_china_it_happened_on(session, trail, monkeypatch):
    from shop.audit import record

    # half past midnight on 2 March in China is still 1 March in UTC
    monkeypatch.setattr("shop.audit.now", lambda: dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC))
    early = record(session, None, "programme", 1, "note", None, {"note": "just after midnight"})
    session.commit()
    monkeypatch.undo()
    on_the_day = _search(session, since=dt.date(2026, 3, 2), until=dt.date(2026, 3, 2))
    assert early.id in {e.id for e in on_the_day}
    assert {e.id for e in on_the_day} == {e.id for e in session.scalars(select(AuditEntry))}
    assert _search(session, until=dt.date(2026, 3, 1)) == []
    assert _search(session, since=dt.date(2026, 3, 3)) == []
    assert verify_chain(session).ok


def test_a_search_with_the_end_before_the_start_is_refused(session):
    with pytest.raises(DomainError) as refused:
        audit_search.AuditFilter.from_args({"since": "2026-03-05", "until": "2026-03-01"})
    assert "until" in refused.value.errors
    with pytest.raises(DomainError):
        audit_search.AuditFilter.from_args({"subject_type": "spaceship"})


def test_the_chain_status_is_the_last_verification_and_counts_what_came_after(session, trail):
    assert audit_search.chain_status(session).ok is None
    operator = make_staff(session, Role.OPERATOR)
    audit_search.record_chain_verification(session, operator, verify_chain(session))
    status = audit_search.chain_status(session)
    assert status.ok is True and status.verified_by == operator.email and status.entries_since == 0
    assert status.checked == session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).offset(1).limit(1))
    grant_wallet(session, make_org(session))
    assert audit_search.chain_status(session).entries_since >= 3


def test_only_staff_record_a_verification(session, trail):
    with pytest.raises(DomainError) as refused:
        audit_search.record_chain_verification(session, member(trail["first"]), verify_chain(session))
    assert refused.value.code == "forbidden"
