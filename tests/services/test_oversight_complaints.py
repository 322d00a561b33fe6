"""Complaints (五): the enterprise that placed an order complains about its provider; the operator takes
it up and resolves it; both parties and the operator reply; the first response is recorded; nobody
else sees it."""

import datetime as dt

import pytest
from sqlalchemy import select, update

from oversight import complaints
from oversight.commands import ComplaintFilter, ComplaintInput, ReplyInput, ResolutionInput
from oversight.models import Complaint
from oversight.states import ComplaintKind
from shop.audit import AuditEntry
from shop.errors import DomainError
from shop.states import Role
from tests.helpers import fresh, grant_wallet, make_order, make_org, make_programme, make_staff, member


@pytest.fixture
def world(session, today):
    today("2026-03-02")
    make_programme(session)
    buyer, other_buyer = make_org(session, name="贵阳投诉企业有限公司"), make_org(session)
    grant_wallet(session, buyer)
    provider, other_provider = make_org(session, "provider"), make_org(session, "provider")
    order = make_order(session, buyer, provider, amount_fen=8_000_00)
    return {
        "buyer": member(buyer),
        "other_buyer": member(other_buyer),
        "seller": member(provider),
        "other_seller": member(other_provider),
        "order": order,
        "provider": provider,
        "operator": make_staff(session, Role.OPERATOR),
        "authority": make_staff(session, Role.AUTHORITY),
    }


def _file(session, world, **overrides):
    data = {
        "order_id": world["order"].id,
        "kind": "service_quality",
        "subject": "云主机频繁重启",
        "description": "下单后一周内云主机重启了四次，业务中断。",
    }
    data.update(overrides)
    return complaints.file_complaint(session, world["buyer"], ComplaintInput.from_input(data))


def test_the_enterprise_that_placed_the_order_complains_about_its_provider(session, world):
    complaint = _file(session, world)
    assert complaint.status.value == "open"
    assert (complaint.enterprise_id, complaint.provider_id) == (world["order"].enterprise_id, world["provider"].id)
    assert complaint.first_response_at is None
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "complaint", AuditEntry.subject_id == complaint.id)
    ).all()
    assert [e.action for e in trail] == ["file_complaint"] and trail[0].actor_id == world["buyer"].id


def test_nobody_complains_about_someone_elses_order(session, world):
    with pytest.raises(DomainError) as refused:
        complaints.file_complaint(
            session,
            world["other_buyer"],
            ComplaintInput.from_input(
                {
                    "order_id": world["order"].id,
                    "kind": "other",
                    "subject": "不是我的订单",
                    "description": "尝试投诉别人的订单",
                }
            ),
        )
    assert refused.value.code == "not_found" and "order_id" in refused.value.errors
    for outsider in (world["seller"], world["operator"]):
        with pytest.raises(DomainError) as forbidden:
            complaints.file_complaint(
                session,
                outsider,
                ComplaintInput(world["order"].id, ComplaintKind.OTHER, "不是买方", "服务商或运营方不能投诉"),
            )
        assert forbidden.value.code == "forbidden"


def test_a_complaint_needs_its_fields(session, world):
    with pytest.raises(DomainError) as refused:
        ComplaintInput.from_input({"order_id": world["order"].id, "kind": "rude"})
    assert set(refused.value.errors) == {"kind", "subject", "description"}


def test_one_complaint_about_an_order_is_handled_at_a_time(session, world):
    first = _file(session, world)
    with pytest.raises(DomainError) as refused:
        _file(session, world, subject="再次投诉")
    assert refused.value.code == "invalid_state"
    complaints.take_up_complaint(session, world["operator"], first.id)
    complaints.resolve_complaint(session, world["operator"], first.id, ResolutionInput("服务商已更换宿主机"))
    assert _file(session, world, subject="问题再次出现").status.value == "open"


def test_the_operator_takes_it_up_then_resolves_it_and_nothing_else_moves_it(session, world):
    complaint = _file(session, world)
    operator = world["operator"]
    with pytest.raises(DomainError) as too_early:
        complaints.resolve_complaint(session, operator, complaint.id, ResolutionInput("直接办结"))
    assert too_early.value.code == "invalid_state"
    for party in (world["buyer"], world["seller"], world["authority"]):
        with pytest.raises(DomainError) as refused:
            complaints.take_up_complaint(session, party, complaint.id)
        assert refused.value.code == "forbidden"
    assert complaints.take_up_complaint(session, operator, complaint.id).status.value == "in_progress"
    with pytest.raises(DomainError) as no_reason:
        ResolutionInput.from_input({"resolution": ""})
    assert no_reason.value.code == "validation_error"
    resolved = complaints.resolve_complaint(
        session, operator, complaint.id, ResolutionInput("服务商已迁移实例并补偿一个月")
    )
    assert resolved.status.value == "resolved" and resolved.resolved_by_id == operator.id
    with pytest.raises(DomainError) as closed:
        complaints.reply_to_complaint(session, world["buyer"], complaint.id, ReplyInput("还有问题"))
    assert closed.value.code == "invalid_state"
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "complaint", AuditEntry.subject_id == complaint.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["file_complaint", "take_up_complaint", "resolve_complaint"]


def _filed_two_hours_ago(session, complaint):
    session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id)
        .values(filed_at=complaint.filed_at - dt.timedelta(hours=2))
    )
    session.commit()


def test_the_first_response_is_the_first_reply_by_someone_other_than_the_complainant(session, world):
    complaint = _file(session, world)
    _filed_two_hours_ago(session, complaint)
    complaints.reply_to_complaint(session, world["buyer"], complaint.id, ReplyInput("补充：今天又重启了一次。"))
    assert fresh(session).get(Complaint, complaint.id).first_response_at is None
    complaints.reply_to_complaint(session, world["seller"], complaint.id, ReplyInput("已收到，正在排查。"))
    answered = fresh(session).get(Complaint, complaint.id)
    assert answered.first_response_by_id == world["seller"].id
    assert 2 * 3600 <= answered.first_response_seconds < 2 * 3600 + 120
    first = answered.first_response_at
    complaints.take_up_complaint(session, world["operator"], complaint.id)
    assert fresh(session).get(Complaint, complaint.id).first_response_at == first


def test_taking_it_up_is_the_first_response_when_nobody_replied_before(session, world):
    complaint = _file(session, world)
    complaints.take_up_complaint(session, world["operator"], complaint.id)
    assert fresh(session).get(Complaint, complaint.id).first_response_by_id == world["operator"].id


def test_replies_come_from_the_two_parties_and_the_operator_and_everyone_of_them_reads_them(session, world):
    complaint = _file(session, world)
    for user, text in (
        (world["seller"], "已安排工程师"),
        (world["operator"], "请服务商三日内答复"),
        (world["buyer"], "收到"),
    ):
        complaints.reply_to_complaint(session, user, complaint.id, ReplyInput(text))
    with pytest.raises(DomainError) as authority:
        complaints.reply_to_complaint(session, world["authority"], complaint.id, ReplyInput("省局意见"))
    assert authority.value.code == "forbidden"
    for reader in (world["buyer"], world["seller"], world["operator"], world["authority"]):
        seen = complaints.get_complaint(fresh(session), reader, complaint.id)
        assert [(r.party, r.body) for r in seen.replies] == [
            ("provider", "已安排工程师"),
            ("operator", "请服务商三日内答复"),
            ("enterprise", "收到"),
        ]


def test_a_complaint_does_not_exist_for_anyone_but_its_two_parties_and_staff(session, world):
    complaint = _file(session, world)
    for outsider in (world["other_buyer"], world["other_seller"]):
        with pytest.raises(DomainError) as hidden:
            complaints.get_complaint(session, outsider, complaint.id)
        assert hidden.value.code == "not_found"
        with pytest.raises(DomainError) as hidden_reply:
            complaints.reply_to_complaint(session, outsider, complaint.id, ReplyInput("我也来说两句"))
        assert hidden_reply.value.code == "not_found"
        assert complaints.list_complaints(session, outsider, ComplaintFilter(), page=1, per_page=20).total == 0
    for insider in (world["buyer"], world["seller"], world["operator"], world["authority"]):
        assert [
            c.id for c in complaints.list_complaints(session, insider, ComplaintFilter(), page=1, per_page=20).items
        ] == [complaint.id]


def test_what_waits_for_the_operator_and_for_the_provider(session, world):
    complaint = _file(session, world)
    assert complaints.complaints_waiting(session, world["operator"]) == 1
    assert complaints.complaints_waiting(session, world["seller"]) == 1
    assert complaints.complaints_waiting(session, world["other_seller"]) == 0
    complaints.reply_to_complaint(session, world["seller"], complaint.id, ReplyInput("正在处理"))
    assert complaints.complaints_waiting(session, world["seller"]) == 0
    assert complaints.complaints_waiting(session, world["operator"]) == 1
    assert complaints.complaints_waiting(session, world["buyer"]) == 0
