"""The oversight API: the programme report (JSON and XLSX) against the ledger, scorecards, the public
notice with objections, complaints end to end and who may see them, the audit search."""

import io

import pytest
from sqlalchemy import select

from oversight.models import NoticeEntry
from shop.states import Role
from tests.helpers import fresh, make_org, make_staff, member, token_for
from tests.oversight_helpers import oversight_world, postings_by_kind


@pytest.fixture(autouse=True)
def in_march(today):
    today("2026-03-02")


@pytest.fixture
def world(session, tmp_path):
    return oversight_world(session, tmp_path / "uploads")


def test_the_programme_report_gives_the_ledgers_figures_to_staff(client, session, world):
    report = client.get("/api/v1/reports/programmes/2026", headers=token_for(session, world["authority"]))
    assert report.status_code == 200
    budget = report.json["budget"]
    sums = postings_by_kind(session, 2026)
    assert budget["budget_fen"] == -sums["source"]
    assert budget["remaining_fen"] == sums["budget"] and budget["reserved_fen"] == sums["reserved"]
    assert budget["available_fen"] == sums["available"] and budget["in_orders_fen"] == sums["in_orders"]
    assert budget["claimed_fen"] == sums["claimed"] and budget["disbursed_fen"] == sums["disbursed"]
    assert budget["expired_fen"] == sums.get("expired", 0)
    assert budget["granted_fen"] == 100_000_00
    assert all(isinstance(v, int) for v in budget.values())
    assert {r["layer"]: r["voucher_fen"] for r in report.json["vouchers_by_layer"]} == {
        "infrastructure": 7_400_00,
        "platform": 3_000_00,
        "application": 0,
    }
    assert report.json["leading_providers"][0]["name"] == "贵州甲云计算有限公司"
    assert {r["status"] for r in report.json["claims_by_status"]} == {"submitted", "disbursed", "rejected"}


def test_the_report_comes_as_a_spreadsheet_with_the_same_figures(client, session, world):
    from openpyxl import load_workbook

    response = client.get(
        "/api/v1/reports/programmes/2026?format=xlsx",
        headers={**token_for(session, world["operator"]), "Accept-Language": "en"},
    )
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    rows = {
        r[0]: r[1]
        for r in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
        if r and r[0] and len(r) > 1
    }
    assert rows["In orders"] == 2600 and rows["Claimed"] == 800 and rows["Budget"] == 1_000_000


def test_the_report_is_refused_to_others_and_answers_404_for_a_year_without_programme(client, session, world):
    staff = token_for(session, world["authority"])
    assert client.get("/api/v1/reports/programmes/2031", headers=staff).json["code"] == "not_found"
    assert client.get("/api/v1/reports/programmes/2026?format=pdf", headers=staff).status_code == 422
    assert (
        client.get("/api/v1/reports/programmes/2026", headers=token_for(session, member(world["e1"]))).status_code
        == 403
    )
    assert client.get("/api/v1/reports/programmes/2026").status_code == 401


def test_the_scorecards_api_lists_every_provider_with_its_figures(client, session, world):
    data = client.get(
        "/api/v1/reports/providers?year=2026&sort=rejected", headers=token_for(session, world["authority"])
    ).json
    assert data["total"] == 2 and data["items"][0]["name"] == "遵义乙数据服务有限公司"
    first = next(i for i in data["items"] if i["provider_id"] == world["p1"].id)
    assert first["refund_rate_per_mille"] == 333 and first["orders"] == 3 and first["claims_rejected"] == 0


# -- the public notice ----------------------------------------------------------------------------------


def test_the_public_notice_needs_no_token_and_shows_only_masked_codes(client, session, world):
    data = client.get("/api/v1/notices").json
    assert data["total"] == 3  # two grants (the third is pending), one disbursement
    kinds = sorted(i["kind"] for i in data["items"])
    assert kinds == ["disbursement", "quota_grant", "quota_grant"]
    e1 = world["e1"]
    mine = next(i for i in data["items"] if i["organisation_name"] == e1.name)
    assert mine["uscc"] == f"{e1.uscc[:8]}****{e1.uscc[-2:]}" and e1.uscc not in str(data)
    assert mine["in_notice"] is True and mine["notice_ends_on"] == "2026-03-09" and mine["amount_fen"] == 50_000_00
    assert client.get("/api/v1/notices?view=archive").json["total"] == 0
    assert client.get("/api/v1/notices?kind=disbursement").json["items"][0]["amount_fen"] == 7_000_00
    assert client.get("/api/v1/notices?view=elsewhere").status_code == 422


def test_an_objection_through_the_api_during_the_notice_period_and_the_operators_answer(client, session, world, today):
    entry = fresh(session).scalars(select(NoticeEntry).where(NoticeEntry.kind == "disbursement")).one()
    url = f"/api/v1/notices/{entry.id}/objections"
    assert client.post(url, json={"reason": "金额有误"}).status_code == 401
    citizen = token_for(session, member(make_org(session)))
    assert client.post(url, json={}, headers=citizen).json["code"] == "validation_error"
    created = client.post(url, json={"reason": "拨付金额与合同不符，请核实。"}, headers=citizen)
    assert created.status_code == 201 and created.json["status"] == "open"
    assert "lodged_by" not in created.json
    listed = client.get("/api/v1/objections?status=open", headers=token_for(session, world["authority"])).json
    assert listed["total"] == 1 and listed["items"][0]["lodged_by"].endswith("@example.com")
    answer_url = f"/api/v1/objections/{created.json['id']}/answer"
    assert (
        client.post(answer_url, json={"answer": "已核实"}, headers=token_for(session, world["authority"])).status_code
        == 403
    )
    answered = client.post(
        answer_url, json={"answer": "经核实金额无误。"}, headers=token_for(session, world["operator"])
    )
    assert answered.status_code == 200 and answered.json["status"] == "answered"
    detail = client.get(f"/api/v1/notices/{entry.id}").json
    assert [(o["reason"], o["answer"]) for o in detail["objections"]] == [
        ("拨付金额与合同不符，请核实。", "经核实金额无误。")
    ]
    today("2026-03-10")
    late = client.post(url, json={"reason": "迟到的异议"}, headers=citizen)
    assert late.status_code == 409 and late.json["code"] == "invalid_state"
    assert client.get("/api/v1/notices/999999").status_code == 404


# -- complaints ------------------------------------------------------------------------------------------


def test_a_complaint_through_the_api_from_filing_to_resolution(client, session, world):
    buyer, seller = token_for(session, member(world["e1"])), token_for(session, member(world["p1"]))
    operator = token_for(session, world["operator"])
    order = world["orders"][0]
    filed = client.post(
        "/api/v1/complaints",
        json={
            "order_id": order.id,
            "kind": "service_quality",
            "subject": "性能不达标",
            "description": "带宽只有约定的一半",
        },
        headers=buyer,
    )
    assert filed.status_code == 201 and filed.json["status"] == "open" and filed.json["provider_id"] == world["p1"].id
    cid = filed.json["id"]
    replied = client.post(f"/api/v1/complaints/{cid}/replies", json={"body": "已扩容"}, headers=seller)
    assert replied.status_code == 201 and replied.json["party"] == "provider" and replied.json["complaint_id"] == cid
    assert client.get(f"/api/v1/complaints/{cid}", headers=buyer).json["first_response_seconds"] is not None
    assert (
        client.post(f"/api/v1/complaints/{cid}/resolve", json={"resolution": "已解决"}, headers=operator).json["code"]
        == "invalid_state"
    )
    assert client.post(f"/api/v1/complaints/{cid}/take-up", headers=operator).json["status"] == "in_progress"
    resolved = client.post(
        f"/api/v1/complaints/{cid}/resolve", json={"resolution": "服务商已扩容到约定带宽"}, headers=operator
    )
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
    assert resolved.json["resolution"] == "服务商已扩容到约定带宽"
    assert client.get(f"/api/v1/complaints/{cid}", headers=buyer).json["status"] == "resolved"
    assert client.get("/api/v1/complaints?status=resolved", headers=seller).json["total"] == 1


def test_a_complaint_is_404_for_other_enterprises_and_providers_on_every_call(client, session, world):
    buyer = token_for(session, member(world["e1"]))
    cid = client.post(
        "/api/v1/complaints",
        json={"order_id": world["orders"][0].id, "kind": "billing", "subject": "多扣款", "description": "扣款两次"},
        headers=buyer,
    ).json["id"]
    for outsider in (member(world["e2"]), member(world["p2"])):
        headers = token_for(session, outsider)
        assert client.get(f"/api/v1/complaints/{cid}", headers=headers).status_code == 404
        assert (
            client.post(f"/api/v1/complaints/{cid}/replies", json={"body": "路过"}, headers=headers).status_code == 404
        )
        assert client.get("/api/v1/complaints", headers=headers).json["total"] == 0
    for insider in (world["authority"], world["operator"], member(world["p1"])):
        assert client.get(f"/api/v1/complaints/{cid}", headers=token_for(session, insider)).status_code == 200
    other_order = client.post(
        "/api/v1/complaints",
        json={"order_id": world["orders"][1].id, "kind": "billing", "subject": "别人的", "description": "别人的订单"},
        headers=buyer,
    )
    assert other_order.status_code == 404 and other_order.json["errors"]["order_id"]
    assert (
        client.post(
            "/api/v1/complaints",
            json={"order_id": world["orders"][0].id},
            headers=token_for(session, member(world["p1"])),
        ).status_code
        == 403
    )


def test_the_audit_api_searches_by_actor_and_day(client, session, world):
    staff = token_for(session, make_staff(session, Role.OPERATOR))
    e3 = member(world["e3"])
    found = client.get(f"/api/v1/audit?actor={e3.email}&since=2026-03-02&until=2026-03-02", headers=staff).json
    assert found["total"] == 1 and found["items"][0]["action"] == "apply" and found["items"][0]["actor_id"] == e3.id
    assert client.get("/api/v1/audit?since=2026-03-03", headers=staff).json["total"] == 0
    assert client.get("/api/v1/audit?until=yesterday", headers=staff).status_code == 422
    system = client.get("/api/v1/audit?actor=system&subject_type=notice", headers=staff).json
    assert system["total"] == 3 and {i["action"] for i in system["items"]} == {"publish_notice"}
