"""Oversight pages: the dashboard with its charts, tables and spreadsheet; the scorecards; the public
notice with objections; complaints through their states, seen only by their parties and staff; the
audit trail's search and verification."""

import io
import re

import pytest
from sqlalchemy import select

from oversight import complaints, notices
from oversight.commands import ComplaintInput, ObjectionInput
from oversight.models import Complaint, NoticeEntry, NoticeObjection
from shop.audit import AuditEntry
from shop.states import Role
from tests.helpers import fresh, make_order, make_org, make_staff, member, sign_in
from tests.oversight_helpers import oversight_world


@pytest.fixture(autouse=True)
def in_march(today):
    today("2026-03-02")


@pytest.fixture
def world(session, tmp_path):
    return oversight_world(session, tmp_path / "uploads")


def text(response):
    return response.get_data(as_text=True)


def test_the_dashboard_draws_each_figure_with_its_table_in_chinese(client, session, world):
    sign_in(client, world["authority"])
    response = client.get("/oversight?year=2026")
    page = text(response)
    assert response.status_code == 200
    assert page.count("<svg") >= 7
    for figure in ("¥1,000,000.00", "¥100,000.00", "¥2,600.00", "¥800.00", "¥7,000.00"):
        assert figure in page
    for words in (
        "各层级云券使用",
        "按市（州）",
        "每周订单数",
        "兑现申请",
        "服务商排行",
        "贵阳市",
        "遵义市",
        "贵州甲云计算有限公司",
    ):
        assert words in page
    assert 'href="/oversight/report.xlsx?year=2026"' in page


def test_the_dashboard_spreadsheet_downloads_with_the_same_figures(client, session, world):
    from openpyxl import load_workbook

    sign_in(client, world["operator"])
    response = client.get("/oversight/report.xlsx?year=2026")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "programme-2026.xlsx" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert ("已拨付", 7000) in [(r[0], r[1]) for r in rows if r and len(r) > 1]


def test_the_dashboard_and_scorecards_are_for_staff_only(client, session, world):
    sign_in(client, member(world["p1"]))
    assert client.get("/oversight").status_code == 403
    assert client.get("/oversight/scorecards").status_code == 403


def test_a_year_without_programme_shows_a_notice_instead_of_failing(client, session, world):
    sign_in(client, world["authority"])
    response = client.get("/oversight?year=2030")
    assert response.status_code == 200 and "没有 2030 年度计划" in text(response)


def test_the_scorecards_compare_providers_and_sort(client, session, world):
    sign_in(client, world["authority"])
    page = text(client.get("/oversight/scorecards?year=2026&sort=rejected"))
    assert "服务商绩效" in page and "退款率" in page and "33.3%" in page
    assert page.index("遵义乙数据服务有限公司") < page.index("贵州甲云计算有限公司")  # one claim rejected


# -- the public notice -------------------------------------------------------------------------------------


def test_anyone_reads_the_public_notice_with_the_codes_masked(client, session, world):
    page = text(client.get("/notices"))
    assert "贵阳甲科技有限公司" in page and "¥50,000.00" in page and "资金拨付" in page
    e1 = world["e1"]
    assert e1.uscc not in page and f"{e1.uscc[:8]}****{e1.uscc[-2:]}" in page
    archive = client.get("/notices?view=archive&year=2026")
    assert archive.status_code == 200 and "该年度暂无归档" in text(archive)


def _grant_entry(session, world):
    return fresh(session).scalars(select(NoticeEntry).where(NoticeEntry.organisation_id == world["e1"].id)).one()


def test_lodging_an_objection_needs_a_sign_in_and_is_shown_with_the_operators_answer(client, session, world):
    entry = _grant_entry(session, world)
    detail = text(client.get(f"/notices/{entry.id}"))
    assert "登录后提出异议" in detail
    assert client.post(f"/notices/{entry.id}/objections", data={"reason": "匿名异议"}).status_code == 401
    objector = member(make_org(session))
    sign_in(client, objector)
    response = client.post(
        f"/notices/{entry.id}/objections", data={"reason": "该企业已注销，请核实。"}, follow_redirects=True
    )
    assert response.status_code == 200 and "该企业已注销，请核实。" in text(response)
    sign_in(client, world["operator"])
    queue = text(client.get("/staff/objections?status=open"))
    assert "该企业已注销，请核实。" in queue and objector.email in queue
    objection = fresh(session).scalars(select(NoticeObjection)).one()
    answered = client.post(
        f"/operator/objections/{objection.id}/answer",
        data={"answer": "经核实，该企业正常经营。"},
        follow_redirects=True,
    )
    assert "您的答复已与异议一同公开" in text(answered)
    with client.session_transaction() as cookie:
        cookie.clear()
    public = text(client.get(f"/notices/{entry.id}"))
    assert "经核实，该企业正常经营。" in public and "运营方答复" in public
    assert objector.email not in public  # objections are public, who lodged them is not


def test_an_empty_objection_is_refused_beside_the_field(client, session, world):
    entry = _grant_entry(session, world)
    sign_in(client, member(make_org(session)))
    response = client.post(f"/notices/{entry.id}/objections", data={"reason": ""})
    assert response.status_code == 422 and 'id="e-reason"' in text(response)


def test_after_the_notice_period_the_form_is_gone_and_an_objection_is_refused(client, session, world, today):
    entry = _grant_entry(session, world)
    today("2026-03-10")
    sign_in(client, member(make_org(session)))
    page = text(client.get(f"/notices/{entry.id}"))
    assert "公示期为" in page and 'name="reason"' not in page
    response = client.post(f"/notices/{entry.id}/objections", data={"reason": "迟到的异议"})
    assert response.status_code == 409 and "不再受理异议" in text(response)


def test_the_operators_navigation_counts_open_objections(client, session, world):
    entry = _grant_entry(session, world)
    notices.lodge_objection(session, member(make_org(session)), entry.id, ObjectionInput("请核实企业资质"))
    sign_in(client, world["operator"])
    page = text(client.get("/notices"))
    assert '公示 <span class="count"' in page


# -- complaints ----------------------------------------------------------------------------------------------


def test_a_complaint_goes_from_the_enterprise_through_the_operator_to_resolved(client, session, world):
    order = world["orders"][0]
    sign_in(client, member(world["e1"]))
    form = text(client.get(f"/complaints/new?order_id={order.id}"))
    assert f'<option value="{order.id}" selected' in form
    response = client.post(
        "/complaints",
        data={
            "order_id": order.id,
            "kind": "delivery",
            "subject": "开通延迟",
            "description": "合同约定三天开通，实际一周。",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200 and "投诉已提交" in text(response) and "待处理" in text(response)
    complaint = fresh(session).scalars(select(Complaint)).one()

    sign_in(client, member(world["p1"]))
    assert "开通延迟" in text(client.get("/complaints"))
    client.post(f"/complaints/{complaint.id}/replies", data={"body": "已安排加急开通。"})

    sign_in(client, world["operator"])
    page = text(client.get(f"/complaints/{complaint.id}"))
    assert "已安排加急开通。" in page and "受理投诉" in page
    assert "处理中" in text(client.post(f"/complaints/{complaint.id}/take-up", follow_redirects=True))
    done = text(
        client.post(
            f"/complaints/{complaint.id}/resolve", data={"resolution": "已开通并补偿服务期"}, follow_redirects=True
        )
    )
    assert "已办结" in done and "已开通并补偿服务期" in done and 'name="body"' not in done

    sign_in(client, member(world["e1"]))
    page = text(client.get(f"/complaints/{complaint.id}"))
    assert "已开通并补偿服务期" in page and "首次响应" in page


def test_a_complaint_is_not_found_by_other_enterprises_and_providers_and_they_cannot_reply(client, session, world):
    complaint = complaints.file_complaint(
        session,
        member(world["e1"]),
        ComplaintInput.from_input(
            {"order_id": world["orders"][0].id, "kind": "billing", "subject": "重复扣款", "description": "扣了两次款"}
        ),
    )
    for outsider in (member(world["e2"]), member(world["p2"])):
        sign_in(client, outsider)
        assert client.get(f"/complaints/{complaint.id}").status_code == 404
        assert client.post(f"/complaints/{complaint.id}/replies", data={"body": "看看"}).status_code == 404
        assert "重复扣款" not in text(client.get("/complaints"))
    sign_in(client, world["authority"])
    page = text(client.get(f"/complaints/{complaint.id}"))
    assert "重复扣款" in page and 'name="body"' not in page  # the authority reads, it does not reply


def test_an_enterprise_cannot_file_about_an_order_that_is_not_its_own(client, session, world):
    sign_in(client, member(world["e2"]))
    response = client.post(
        "/complaints",
        data={"order_id": world["orders"][0].id, "kind": "other", "subject": "别人的订单", "description": "试一试"},
    )
    assert response.status_code == 404 and "这不是您的订单" in text(response)
    assert fresh(session).scalar(select(Complaint.id)) is None


def test_the_providers_navigation_counts_complaints_it_has_not_answered(client, session, world):
    complaints.file_complaint(
        session,
        member(world["e1"]),
        ComplaintInput.from_input(
            {"order_id": world["orders"][0].id, "kind": "other", "subject": "发票问题", "description": "发票抬头错误"}
        ),
    )
    sign_in(client, member(world["p1"]))
    assert re.search(r'投诉 <span class="count"[^>]*>1</span>', text(client.get("/complaints")))
    sign_in(client, member(world["p2"]))
    assert not re.search(r'投诉 <span class="count"', text(client.get("/complaints")))


# -- the audit trail -------------------------------------------------------------------------------------------


def test_the_audit_page_searches_by_actor_and_day_and_verifies_the_chain_on_request(client, session, world):
    operator = world["operator"]
    sign_in(client, operator)
    page = text(client.get("/staff/audit"))
    assert "尚未在此校验过哈希链" in page
    page = text(client.post("/staff/audit/verification", follow_redirects=True))
    assert "哈希链完整" in page
    assert (
        fresh(session).scalars(select(AuditEntry).where(AuditEntry.action == "verify_chain")).one().actor_id
        == operator.id
    )
    found = text(client.get(f"/staff/audit?actor={member(world['e3']).email}&since=2026-03-02&until=2026-03-02"))
    assert found.count("<tr>") == 2  # the header and e3's application
    assert member(world["e3"]).email in found and "额度申请 #" in found
    refused = text(client.get("/staff/audit?since=2026-03-05&until=2026-03-01"))
    assert "结束日期早于起始日期" in refused


def test_only_enterprises_are_offered_to_file_a_complaint(client, session, world):
    make_order(session, world["e1"], world["p1"], amount_fen=1_000_00)
    sign_in(client, member(world["e1"]))
    assert "我要投诉" in text(client.get("/complaints"))
    sign_in(client, make_staff(session, Role.AUTHORITY))
    assert "我要投诉" not in text(client.get("/complaints"))
