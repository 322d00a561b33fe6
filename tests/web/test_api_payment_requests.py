"""The payment-request calls (拨付申请) and pages: the authority sends, the finance bureau (财政局) of the
programme's jurisdiction transfers or returns, both read and export; every other role is refused, and
a bureau of another jurisdiction finds nothing."""

import csv
import io
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from claims import deductions, reviews
from claims.models import PaymentRequest
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import (
    PASSWORD,
    fresh,
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_programme,
    make_staff,
    member,
    sign_in,
    token_for,
)


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, app):
    """Two approved claims of 2026-06-30: ¥4,000, and ¥800 less a ¥300 deduction."""
    programme = make_programme(session)
    enterprise = make_org(session, name="贵州湄潭绿茶制造有限公司")
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司")
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    big = make_claim(
        session, provider, [make_order(session, enterprise, provider, amount_fen=10_000_00)], app.config["UPLOAD_DIR"]
    )
    small_order = make_order(session, enterprise, provider, amount_fen=2_000_00)
    small = make_claim(session, provider, [small_order], app.config["UPLOAD_DIR"])
    for claim in (big, small):
        reviews.review_claim(session, operator, claim.id, Decision(True))
    deductions.deduct_order(session, authority, small.id, small_order.id, 300_00, "部分功能未交付")
    for claim in (big, small):
        reviews.review_claim(session, authority, claim.id, Decision(True))
    finance = make_staff(session, Role.FINANCE, jurisdiction="52")
    other_finance = make_staff(session, Role.FINANCE, jurisdiction="440111")  # 白云区: not this programme
    people = {
        "enterprise": member(enterprise),
        "provider": member(provider),
        "operator": operator,
        "authority": authority,
        "finance": finance,
        "other_finance": other_finance,
    }
    return {
        "programme": programme,
        "claims": [big, small],
        "users": people,
        **{name: token_for(session, user) for name, user in people.items()},
    }


def send(client, world, who="authority"):
    return client.post(
        "/api/v1/payment-requests",
        json={"programme_id": world["programme"].id, "settlement_date": "2026-06-30"},
        headers=world[who],
    )


def test_the_authority_sends_and_the_finance_bureau_transfers(client, world, session):
    sent = send(client, world)
    assert sent.status_code == 201, sent.json
    body = sent.json
    assert (body["status"], body["claim_count"], body["total_fen"], body["settlement_date"]) == (
        "sent",
        2,
        4_500_00,
        "2026-06-30",
    )
    assert [(c["id"], c["payable_fen"], c["provider_name"]) for c in body["claims"]] == [
        (world["claims"][0].id, 4_000_00, "贵州黔云科技有限公司"),
        (world["claims"][1].id, 500_00, "贵州黔云科技有限公司"),
    ]
    assert send(client, world).json["code"] == "invalid_state"  # already at the bureau
    url = f"/api/v1/payment-requests/{body['id']}"
    listed = client.get("/api/v1/payment-requests?status=sent", headers=world["finance"]).json
    assert [r["id"] for r in listed["items"]] == [body["id"]] and listed["total"] == 1
    assert client.get("/api/v1/payment-requests", headers=world["authority"]).json["total"] == 1
    assert client.get("/api/v1/payment-requests?status=nope", headers=world["finance"]).status_code == 422
    claim = client.get(f"/api/v1/claims/{world['claims'][0].id}", headers=world["finance"]).json
    assert claim["payment_request_id"] == body["id"]
    assert client.post(f"{url}/transfer", json={}, headers=world["finance"]).json["errors"]["reference"]
    future = client.post(f"{url}/transfer", json={"reference": "x", "paid_on": "2026-03-03"}, headers=world["finance"])
    assert (future.status_code, list(future.json["errors"])) == (422, ["paid_on"])
    paid = client.post(
        f"{url}/transfer", json={"reference": "黔财拨〔2026〕21号", "paid_on": "2026-03-02"}, headers=world["finance"]
    )
    assert paid.status_code == 200, paid.json
    assert (paid.json["status"], paid.json["paid_reference"], paid.json["paid_on"]) == (
        "paid",
        "黔财拨〔2026〕21号",
        "2026-03-02",
    )
    assert [(c["status"], c["disbursed_fen"]) for c in paid.json["claims"]] == [
        ("disbursed", 4_000_00),
        ("disbursed", 500_00),
    ]
    assert client.post(f"{url}/transfer", json={"reference": "x"}, headers=world["finance"]).json["code"] == (
        "invalid_state"
    )


def test_a_returned_request_says_why_and_its_claims_can_be_sent_again(client, world):
    sent = send(client, world).json
    url = f"/api/v1/payment-requests/{sent['id']}/return"
    assert client.post(url, json={}, headers=world["finance"]).json["errors"]["reason"]
    returned = client.post(url, json={"reason": "收款账户与营业执照不一致"}, headers=world["finance"])
    assert (returned.json["status"], returned.json["returned_reason"]) == (
        "returned_by_finance",
        "收款账户与营业执照不一致",
    )
    assert len(returned.json["claims"]) == 2  # what it held
    seen = client.get(f"/api/v1/payment-requests/{sent['id']}", headers=world["authority"]).json
    assert seen["returned_reason"] == "收款账户与营业执照不一致"
    claim = client.get(f"/api/v1/claims/{world['claims'][0].id}", headers=world["authority"]).json
    assert (claim["status"], claim["payment_request_id"]) == ("approved", None)
    again = send(client, world)
    assert again.status_code == 201 and again.json["id"] != sent["id"]


def test_the_authority_no_longer_records_a_payment(client, world):
    refused = client.post(
        f"/api/v1/claims/{world['claims'][0].id}/disburse", json={"reference": "x"}, headers=world["authority"]
    )
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden")
    assert "资金拨付由财政局登记" in refused.json["detail"]
    elsewhere = client.post(
        f"/api/v1/claims/{world['claims'][0].id}/disburse", json={"reference": "x"}, headers=world["other_finance"]
    )
    assert elsewhere.status_code == 404  # another jurisdiction's bureau: the claim is not its to pay
    paid = client.post(
        f"/api/v1/claims/{world['claims'][0].id}/disburse", json={"reference": "GZ-1"}, headers=world["finance"]
    )
    assert (paid.status_code, paid.json["status"]) == (200, "disbursed")


def test_every_role_but_the_right_one_is_refused_and_another_jurisdiction_finds_nothing(client, world):
    sent = send(client, world).json
    rid = sent["id"]
    calls = [
        ("get", "/api/v1/payment-requests", None, ("authority", "finance")),
        ("post", "/api/v1/payment-requests", {"programme_id": 1, "settlement_date": "2026-06-30"}, ("authority",)),
        ("get", f"/api/v1/payment-requests/{rid}", None, ("authority", "finance")),
        ("post", f"/api/v1/payment-requests/{rid}/transfer", {"reference": "x"}, ("finance",)),
        ("post", f"/api/v1/payment-requests/{rid}/return", {"reason": "x"}, ("finance",)),
        ("get", f"/api/v1/payment-requests/{rid}/export", None, ("authority", "finance")),
        ("get", "/api/v1/payment-requests/export", None, ("authority", "finance")),
    ]
    for method, path, body, allowed in calls:
        for who in ("enterprise", "provider", "operator", "authority", "finance"):
            if who in allowed:
                continue
            response = getattr(client, method)(path, json=body, headers=world[who])
            assert response.status_code == 403, f"{who} {method} {path}"
    # the bureau of another jurisdiction: the request does not exist for it, nor is it listed
    for method, path, body in (
        ("get", f"/api/v1/payment-requests/{rid}", None),
        ("post", f"/api/v1/payment-requests/{rid}/transfer", {"reference": "x"}),
        ("post", f"/api/v1/payment-requests/{rid}/return", {"reason": "x"}),
        ("get", f"/api/v1/payment-requests/{rid}/export", None),
    ):
        assert getattr(client, method)(path, json=body, headers=world["other_finance"]).status_code == 404, path
    assert client.get("/api/v1/payment-requests", headers=world["other_finance"]).json["total"] == 0
    assert client.get("/api/v1/payment-requests/999999", headers=world["finance"]).status_code == 404


def test_a_request_and_the_list_export_as_csv_and_xlsx(client, world):
    sent = send(client, world).json
    response = client.get(f"/api/v1/payment-requests/{sent['id']}/export?format=csv", headers=world["finance"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["拨付申请", "年度计划", "兑现节点", "兑现申请"]
    assert [(r[3], r[4], r[7], r[8], r[9]) for r in rows[1:-1]] == [
        (f"#{world['claims'][0].id}", "贵州黔云科技有限公司", "4000.00", "0.00", "4000.00"),
        (f"#{world['claims'][1].id}", "贵州黔云科技有限公司", "800.00", "300.00", "500.00"),
    ]
    assert rows[-1][0].startswith(f"拨付申请 #{sent['id']} 合计") and rows[-1][7:10] == ["4800.00", "300.00", "4500.00"]
    xlsx = client.get(f"/api/v1/payment-requests/{sent['id']}/export?format=xlsx", headers=world["authority"])
    values = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert len(values) == 4 and str(values[-1][9]) == "4500"
    listing = client.get("/api/v1/payment-requests/export?format=csv", headers=world["finance"])
    rows = list(csv.reader(io.StringIO(listing.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][:6] == [f"#{sent['id']}", world["programme"].code, "2026-06-30", "已报送财政局", "2", "4500.00"]
    assert len(rows) == 3  # the header, the request, the total
    elsewhere = client.get("/api/v1/payment-requests/export?format=csv", headers=world["other_finance"])
    assert len(list(csv.reader(io.StringIO(elsewhere.get_data(as_text=True).lstrip("\ufeff"))))) == 2


def text(response):
    return response.get_data(as_text=True)


def test_the_pages_send_transfer_and_return(client, world, session, today):
    users = world["users"]
    sign_in(client, users["authority"])
    page = text(client.get("/payment-requests"))
    assert "待报送的已审核兑现申请" in page and "¥4,500.00" in page
    sent = client.post(
        "/payment-requests",
        data={"programme_id": world["programme"].id, "settlement_date": "2026-06-30"},
        follow_redirects=True,
    )
    assert sent.status_code == 200 and "已报送财政局" in text(sent)
    again = client.post(
        "/payment-requests", data={"programme_id": world["programme"].id, "settlement_date": "2026-06-30"}
    )
    assert again.status_code == 409 and "已在财政局办理中" in text(again)
    rid = fresh(session).scalar(select(func.max(PaymentRequest.id)))
    assert f'action="/payment-requests/{rid}/transfer"' not in text(client.get(f"/payment-requests/{rid}"))
    assert client.post(f"/payment-requests/{rid}/transfer", data={"reference": "x"}).status_code == 403

    # the finance bureau lands on its requests after signing in
    client.post("/logout")
    signed = client.post("/login", data={"email": users["finance"].email, "password": PASSWORD})
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/payment-requests")
    listing = text(client.get("/payment-requests"))
    assert f"#{rid}" in listing and "拨付申请" in listing
    detail = text(client.get(f"/payment-requests/{rid}"))
    assert "贵州黔云科技有限公司" in detail and "¥4,500.00" in detail and "−¥300.00" in detail
    assert 'min="2026-03-02"' in detail and 'max="2026-03-02"' in detail
    future = client.post(f"/payment-requests/{rid}/transfer", data={"reference": "黔财拨-21", "paid_on": "2026-03-03"})
    assert future.status_code == 422 and "拨付日期不能晚于今天" in text(future)
    done = client.post(
        f"/payment-requests/{rid}/transfer",
        data={"reference": "黔财拨-21", "paid_on": "2026-03-02"},
        follow_redirects=True,
    )
    assert "转账已登记" in text(done) and "已转账拨付" in text(done)
    claim_page = text(client.get(f"/claims/{world['claims'][0].id}"))
    assert "已拨付" in claim_page and "凭证号 黔财拨-21" in claim_page
    sign_in(client, users["other_finance"])
    assert client.get(f"/payment-requests/{rid}").status_code == 404
    sign_in(client, users["operator"])
    assert client.get("/payment-requests").status_code == 403


def test_the_finance_bureau_returns_a_request_from_its_page_and_the_authority_reads_why(client, world, session):
    rid = send(client, world).json["id"]
    sign_in(client, world["users"]["finance"])
    blank = client.post(f"/payment-requests/{rid}/return", data={"reason": ""})
    assert blank.status_code == 422
    client.post(f"/payment-requests/{rid}/return", data={"reason": "请补充收款账户证明"})
    sign_in(client, world["users"]["authority"])
    page = text(client.get(f"/payment-requests/{rid}"))
    assert "财政局已退回" in page and "请补充收款账户证明" in page
    assert "待报送的已审核兑现申请" in text(client.get("/payment-requests"))


def test_the_request_exports_through_the_background_exports(client, world):
    rid = send(client, world).json["id"]
    sign_in(client, world["users"]["finance"])
    started = client.post("/exports", data={"kind": "payment_request", "format": "xlsx", "payment_request_id": rid})
    assert started.status_code in (302, 303)
    page_url = started.headers["Location"]
    for _ in range(100):
        fragment = text(client.get(page_url, headers={"HX-Request": "true"}))
        if "下载" in fragment:
            break
        time.sleep(0.05)
    rows = list(load_workbook(io.BytesIO(client.get(page_url + "/download").data)).active.iter_rows(values_only=True))
    assert len(rows) == 4
    sign_in(client, world["users"]["other_finance"])  # not its jurisdiction's request
    refused = client.post("/exports", data={"kind": "payment_request", "format": "csv", "payment_request_id": rid})
    assert refused.status_code == 404
    refused = client.post("/exports", data={"kind": "payment_requests", "format": "csv", "jurisdiction": ""})
    assert refused.status_code == 404  # the whole list is not a district bureau's
