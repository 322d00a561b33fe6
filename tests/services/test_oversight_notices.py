"""The public notice (公示): grants and disbursements published as they happen, in notice for at least
5 working days by the statutory calendar and the operator's table, objections only during the period,
answered by the operator, everything in the audit trail."""

import datetime as dt

import pytest
from sqlalchemy import select

from claims import reviews
from claims.commands import DisbursementInput
from oversight import notices
from oversight import services as oversight_services
from oversight.commands import AnswerInput, NoticeFilter, ObjectionInput
from oversight.models import NoticeEntry
from oversight.states import NoticeKind
from shop import calendar
from shop.audit import AuditEntry
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import fresh, grant_wallet, make_claim, make_order, make_org, make_programme, make_staff, member
from wallet import services as wallet_services
from wallet.models import QuotaApplication
from wallet.states import ApplicationStatus


def _entry(session, kind, subject_id):
    return (
        fresh(session)
        .scalars(select(NoticeEntry).where(NoticeEntry.kind == kind, NoticeEntry.subject_id == subject_id))
        .one_or_none()
    )


@pytest.fixture
def programme(session, today):
    today("2026-03-02")
    return make_programme(session)


def test_a_granted_quota_is_published_the_same_day_with_the_middle_of_the_code_hidden(session, programme):
    org = make_org(session, name="贵阳公示测试有限公司")
    application = grant_wallet(session, org)
    entry = _entry(session, NoticeKind.QUOTA_GRANT, application.id)
    assert entry.organisation_name == "贵阳公示测试有限公司" and entry.amount_fen == 50_000_00
    assert entry.uscc_masked == org.uscc[:8] + "****" + org.uscc[-2:]
    assert entry.published_on == entry.event_on == dt.date(2026, 3, 2) and entry.year == 2026
    assert entry.notice_ends_on == dt.date(2026, 3, 9)  # Monday → the fifth working day after it
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "notice", AuditEntry.subject_id == entry.id)
    ).all()
    assert [e.action for e in trail] == ["publish_notice"]


def test_a_rejected_or_pending_application_is_not_published(session, programme):
    org = make_org(session)
    application = wallet_services.apply_for_quota(session, member(org), 2026)
    assert _entry(session, NoticeKind.QUOTA_GRANT, application.id) is None
    wallet_services.review_application(
        session, make_staff(session, Role.OPERATOR), application.id, Decision(False, "材料不符")
    )
    assert _entry(session, NoticeKind.QUOTA_GRANT, application.id) is None


def test_a_disbursed_claim_is_published_with_the_provider_the_amount_and_the_day_paid(
    session, programme, tmp_path, today
):
    today("2026-02-25")
    enterprise, provider = make_org(session), make_org(session, "provider", name="贵州拨付测试云有限公司")
    grant_wallet(session, enterprise)
    orders = [
        make_order(session, enterprise, provider, amount_fen=10_000_00),
        make_order(session, enterprise, provider, amount_fen=5_000_00),
    ]
    claim = make_claim(session, provider, orders, tmp_path / "uploads")
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    reviews.review_claim(session, operator, claim.id, Decision(True))
    reviews.review_claim(session, authority, claim.id, Decision(True))
    assert _entry(session, NoticeKind.DISBURSEMENT, claim.id) is None  # approved is not paid
    today("2026-03-02")
    reviews.disburse_claim(
        session,
        make_staff(session, Role.FINANCE),
        claim.id,
        DisbursementInput.from_input({"reference": "GZCZ-1", "paid_on": "2026-02-27"}),
    )
    entry = _entry(session, NoticeKind.DISBURSEMENT, claim.id)
    assert entry.organisation_name == "贵州拨付测试云有限公司" and entry.amount_fen == 6_000_00
    assert entry.order_count == 2 and entry.event_on == dt.date(2026, 2, 27)
    assert entry.published_on == dt.date(2026, 3, 2) and entry.year == 2026  # the year of its settlement date


def test_missing_entries_are_published_once_by_the_backfill(session, programme):
    org = make_org(session)
    application = wallet_services.apply_for_quota(session, member(org), 2026)
    # a grant recorded before the notice existed: written without going through the audit trail
    application = fresh(session).get(QuotaApplication, application.id)
    application.status, application.granted_fen = ApplicationStatus.GRANTED, application.reserved_fen
    from wallet import ledger

    ledger.grant_quota(session, 2026, org.id, application.reserved_fen, application.id, None)
    session.commit()
    assert oversight_services.publish_missing_notices(session) == 1
    assert _entry(session, NoticeKind.QUOTA_GRANT, application.id).amount_fen == 50_000_00
    assert oversight_services.publish_missing_notices(session) == 0


# -- the notice period in working days -------------------------------------------------------------------


def test_the_notice_period_skips_the_national_day_holiday(session, programme):
    # published on Wednesday 30 September; 1–7 October are holidays, Saturday 10 October is worked (调休)
    assert notices.notice_period_end(session, dt.date(2026, 9, 30)) == dt.date(2026, 10, 13)


def test_a_notice_published_on_a_saturday_still_has_five_full_working_days(session, programme):
    assert notices.notice_period_end(session, dt.date(2026, 3, 7)) == dt.date(2026, 3, 13)


def test_into_a_year_the_calendar_does_not_know_weekdays_count_unless_the_operator_says_otherwise(session, programme):
    # 28 December 2026 (Monday): 29, 30, 31 December, then 2027, which chinesecalendar does not know
    assert notices.notice_period_end(session, dt.date(2026, 12, 28)) == dt.date(2027, 1, 4)
    operator = make_staff(session, Role.OPERATOR)
    calendar.set_holiday(
        session,
        operator,
        calendar.HolidayInput.from_input({"day": "2027-01-01", "is_working_day": "0", "note": "元旦"}),
    )
    assert notices.notice_period_end(session, dt.date(2026, 12, 28)) == dt.date(2027, 1, 5)


def test_a_holiday_the_operator_adds_later_lengthens_the_entries_in_notice_and_removing_it_never_shortens_them(
    session, programme, today
):
    today("2026-12-28")
    application = grant_wallet(session, make_org(session))
    assert _entry(session, NoticeKind.QUOTA_GRANT, application.id).notice_ends_on == dt.date(2027, 1, 4)
    operator = make_staff(session, Role.OPERATOR)
    calendar.set_holiday(
        session,
        operator,
        calendar.HolidayInput.from_input({"day": "2027-01-01", "is_working_day": "0", "note": "元旦"}),
    )
    entry = _entry(session, NoticeKind.QUOTA_GRANT, application.id)
    assert entry.notice_ends_on == dt.date(2027, 1, 5)
    calendar.delete_holiday(session, operator, dt.date(2027, 1, 1))
    assert _entry(session, NoticeKind.QUOTA_GRANT, application.id).notice_ends_on == dt.date(2027, 1, 5)
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "notice", AuditEntry.subject_id == entry.id)
    ).all()
    assert actions == ["publish_notice", "lengthen_notice"]


# -- objections -----------------------------------------------------------------------------------------------


@pytest.fixture
def entry(session, programme):
    application = grant_wallet(session, make_org(session))
    return _entry(session, NoticeKind.QUOTA_GRANT, application.id)


def test_a_signed_in_person_objects_while_the_entry_is_in_notice_up_to_its_last_day(session, entry, today):
    neighbour = member(make_org(session))
    today("2026-03-09")
    objection = notices.lodge_objection(session, neighbour, entry.id, ObjectionInput("该企业实际已停业，请核实。"))
    assert objection.status.value == "open" and objection.reason == "该企业实际已停业，请核实。"
    today("2026-03-10")
    with pytest.raises(DomainError) as refused:
        notices.lodge_objection(session, neighbour, entry.id, ObjectionInput("补充一条意见。"))
    assert refused.value.code == "invalid_state" and "2026-03-09" in str(refused.value.detail)


def test_an_objection_needs_a_reason(session, entry):
    with pytest.raises(DomainError) as refused:
        ObjectionInput.from_input({"reason": "  "})
    assert refused.value.code == "validation_error" and "reason" in refused.value.errors


def test_the_operator_answers_an_objection_once_and_both_are_kept(session, entry, today):
    objection = notices.lodge_objection(
        session, member(make_org(session, "provider")), entry.id, ObjectionInput("该企业与服务商存在关联关系。")
    )
    with pytest.raises(DomainError) as refused:
        notices.answer_objection(
            session, make_staff(session, Role.AUTHORITY), objection.id, AnswerInput("已核实无关联")
        )
    assert refused.value.code == "forbidden"
    today("2026-03-20")  # after the notice period: the answer is still due
    operator = make_staff(session, Role.OPERATOR)
    answered = notices.answer_objection(session, operator, objection.id, AnswerInput("经核实，双方无关联关系。"))
    assert answered.status.value == "answered" and answered.answered_by_id == operator.id
    with pytest.raises(DomainError) as twice:
        notices.answer_objection(session, operator, objection.id, AnswerInput("再次答复内容"))
    assert twice.value.code == "invalid_state"
    kept = notices.get_notice(fresh(session), entry.id).objections
    assert [(o.reason, o.answer) for o in kept] == [("该企业与服务商存在关联关系。", "经核实，双方无关联关系。")]
    trail = session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_type == "objection", AuditEntry.subject_id == objection.id)
    ).all()
    assert trail == ["lodge_objection", "answer_objection"]
    assert notices.open_objections_count(session) == 0


def test_the_list_shows_what_is_in_notice_today_and_the_archive_of_the_year(session, entry, today):
    later = grant_wallet(session, make_org(session, name="后来的企业有限公司"))
    today("2026-03-10")  # the first entry's period is over
    current = notices.list_notices(session, NoticeFilter("current", None, 2026), page=1, per_page=20)
    archive = notices.list_notices(session, NoticeFilter("archive", None, 2026), page=1, per_page=20)
    assert current.total == 0 and archive.total == 2
    today("2026-03-04")
    later_entry = _entry(session, NoticeKind.QUOTA_GRANT, later.id)
    current = notices.list_notices(
        session, NoticeFilter.from_args({"kind": "quota_grant", "q": "后来"}), page=1, per_page=20
    )
    assert [row[0].id for row in current.items] == [later_entry.id]
    assert (
        notices.list_notices(session, NoticeFilter.from_args({"kind": "disbursement"}), page=1, per_page=20).total == 0
    )
