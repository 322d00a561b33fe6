"""追回 on the pages and in the API: staff of the claim's jurisdiction open a recovery against a paid claim
and record a repayment; the provider reads what it owes and why on its claim page; enterprises and
providers are refused the staff's routes (403), staff of another jurisdiction find nothing (404). The
public 负面清单 needs no sign-in and is Chinese by default."""

import pytest

from claims import recoveries, reviews
from claims.commands import DisbursementInput, RecoveryInput
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import (
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
    make_programme(session)  # Guizhou's, jurisdiction 52
    enterprise = make_org(session, name="贵州湄潭绿茶制造有限公司")
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="贵州黔云科技有限公司")
    claim = make_claim(
        session, provider, [make_order(session, enterprise, provider, amount_fen=10_000_00)], app.config["UPLOAD_DIR"]
    )
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    reviews.review_claim(session, operator, claim.id, Decision(True))
    reviews.review_claim(session, authority, claim.id, Decision(True))
    reviews.disburse_claim(
        session, make_staff(session, Role.FINANCE), claim.id, DisbursementInput.from_input({"reference": "GZ-2026-1"})
    )
    return {
        "enterprise": enterprise,
        "provider": provider,
        "claim": claim,
        "operator": operator,
        "authority": authority,
        "elsewhere": make_staff(session, Role.AUTHORITY, jurisdiction="4401"),  # Guangzhou's
    }


def _open(session, world, amount_fen=1_000_00, **extra):
    return recoveries.open_recovery(
        session,
        world["authority"],
        world["claim"].id,
        RecoveryInput.from_input({"amount_fen": amount_fen, "reason": "伪造交付记录", **extra}),
    )


def test_the_api_opens_a_recovery_and_records_a_repayment(client, session, world):
    claim_id = world["claim"].id
    url = f"/api/v1/claims/{claim_id}/recoveries"
    body = {"amount_fen": 3_000_00, "reason": "伪造交付记录"}
    for who in (member(world["provider"]), member(world["enterprise"])):
        assert client.post(url, json=body, headers=token_for(session, who)).status_code == 403
    assert client.post(url, json=body, headers=token_for(session, world["elsewhere"])).status_code == 404
    too_much = client.post(url, json={**body, "amount_fen": 4_000_01}, headers=token_for(session, world["operator"]))
    assert too_much.status_code == 422 and "amount_fen" in too_much.json["errors"]
    created = client.post(url, json=body, headers=token_for(session, world["authority"]))
    assert created.status_code == 201, created.json
    assert (created.json["amount_fen"], created.json["owed_fen"], created.json["status"]) == (
        3_000_00,
        3_000_00,
        "open",
    )
    rid = created.json["id"]

    listed = client.get("/api/v1/recoveries", headers=token_for(session, world["operator"]))
    assert [r["id"] for r in listed.json["items"]] == [rid]
    assert client.get("/api/v1/recoveries", headers=token_for(session, world["elsewhere"])).json["total"] == 0
    assert client.get(f"/api/v1/recoveries/{rid}", headers=token_for(session, world["elsewhere"])).status_code == 404
    for who in (member(world["provider"]), member(world["enterprise"])):
        assert client.get("/api/v1/recoveries", headers=token_for(session, who)).status_code == 403
        assert client.get(f"/api/v1/recoveries/{rid}", headers=token_for(session, who)).status_code == 403

    repay = f"/api/v1/recoveries/{rid}/repayments"
    payment = {"amount_fen": 1_000_00, "reference": "退款-01", "paid_on": "2026-03-02"}
    assert client.post(repay, json=payment, headers=token_for(session, member(world["provider"]))).status_code == 403
    assert client.post(repay, json=payment, headers=token_for(session, world["elsewhere"])).status_code == 404
    paid = client.post(repay, json=payment, headers=token_for(session, world["operator"]))
    assert paid.status_code == 201, paid.json
    assert (paid.json["repaid_fen"], paid.json["owed_fen"]) == (1_000_00, 2_000_00)
    assert paid.json["settlements"][0]["reference"] == "退款-01"
    claim = client.get(f"/api/v1/claims/{claim_id}", headers=token_for(session, world["authority"])).json
    assert claim["set_off_fen"] == 0


def test_the_recovery_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/claims/{claim_id}/recoveries",
        "/recoveries",
        "/recoveries/{recovery_id}",
        "/recoveries/{recovery_id}/repayments",
        "/negative-list",
    ):
        assert path in paths


def test_staff_open_a_recovery_from_the_claim_page_and_record_a_repayment(client, session, world):
    claim_id = world["claim"].id
    sign_in(client, world["authority"])
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert f"/staff/claims/{claim_id}/recoveries" in page and "我确认" in page
    response = client.post(
        f"/staff/claims/{claim_id}/recoveries", data={"amount": "1,500.00", "reason": "虚开发票", "confirm": "yes"}
    )
    assert response.status_code == 302
    recovery = recoveries.list_recoveries(fresh(session), world["authority"], 1, 20).items[0]
    assert recovery.amount_fen == 1_500_00
    listing = client.get("/staff/recoveries").get_data(as_text=True)
    assert "贵州黔云科技有限公司" in listing and "¥1,500.00" in listing
    detail = client.get(f"/staff/recoveries/{recovery.id}").get_data(as_text=True)
    assert "登记退款" in detail and "虚开发票" in detail
    over = client.post(
        f"/staff/recoveries/{recovery.id}/repayments",
        data={"amount": "1,500.01", "reference": "R-1", "paid_on": "2026-03-02", "confirm": "yes"},
    )
    assert over.status_code == 422 and "最多为尚欠金额" in over.get_data(as_text=True)
    done = client.post(
        f"/staff/recoveries/{recovery.id}/repayments",
        data={"amount": "1,500.00", "reference": "R-1", "paid_on": "2026-03-02", "confirm": "yes"},
    )
    assert done.status_code == 302
    assert recoveries.staff_recovery(fresh(session), world["authority"], recovery.id).status.value == "settled"


def test_the_provider_reads_what_it_owes_on_its_claim_page_and_no_staff_page(client, session, world):
    _open(session, world, 2_000_00)
    sign_in(client, member(world["provider"]))
    page = client.get(f"/claims/{world['claim'].id}").get_data(as_text=True)
    assert "伪造交付记录" in page and "¥2,000.00" in page and "尚欠" in page
    assert f"/staff/claims/{world['claim'].id}/recoveries" not in page  # no form
    assert client.get("/staff/recoveries").status_code == 403
    assert (
        client.post(f"/staff/claims/{world['claim'].id}/recoveries", data={"amount": "1", "reason": "x"}).status_code
        == 403
    )


def test_staff_of_another_jurisdiction_find_no_recovery_page(client, session, world):
    recovery = _open(session, world)
    sign_in(client, world["elsewhere"])
    assert client.get(f"/staff/recoveries/{recovery.id}").status_code == 404
    assert "伪造交付记录" not in client.get("/staff/recoveries").get_data(as_text=True)
    page = client.get(f"/claims/{world['claim'].id}").get_data(as_text=True)
    # claims are not scoped by jurisdiction (docs/jurisdictions.md): its page shows no form nor recovery table
    assert f"/staff/claims/{world['claim'].id}/recoveries" not in page and "/staff/recoveries/" not in page
    response = client.post(
        f"/staff/claims/{world['claim'].id}/recoveries", data={"amount": "100", "reason": "x", "confirm": "yes"}
    )
    assert response.status_code == 404
    repay = client.post(
        f"/staff/recoveries/{recovery.id}/repayments", data={"amount": "1", "reference": "R", "paid_on": "2026-03-02"}
    )
    assert repay.status_code == 404
    sign_in(client, member(world["enterprise"]))
    assert client.get(f"/staff/recoveries/{recovery.id}").status_code == 403


def test_the_negative_list_is_public_and_in_chinese(client, session, world):
    _open(session, world, ban="true")
    page = client.get("/negative-list")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "负面清单" in text and "贵州黔云科技有限公司" in text and world["provider"].uscc in text and "长期" in text
    assert "伪造交付记录" in text
    api = client.get("/api/v1/negative-list").json
    assert api["items"][0] == {
        "name": "贵州黔云科技有限公司",
        "uscc": world["provider"].uscc,
        "reason": "伪造交付记录",
        "since": "2026-03-02",
        "until": None,
    }
    assert 'href="/negative-list"' in client.get("/").get_data(as_text=True)  # the footer links it


def test_the_claim_page_says_what_its_payment_will_set_off(client, session, world, app):
    _open(session, world, 1_000_00)
    second = make_claim(
        session,
        world["provider"],
        [make_order(session, world["enterprise"], world["provider"], amount_fen=5_000_00)],
        app.config["UPLOAD_DIR"],
    )
    reviews.review_claim(session, world["operator"], second.id, Decision(True))
    reviews.review_claim(session, world["authority"], second.id, Decision(True))
    sign_in(client, make_staff(session, Role.FINANCE))  # the finance bureau pays it
    page = client.get(f"/claims/{second.id}").get_data(as_text=True)
    assert "服务商仍欠 ¥1,000.00" in page
    client.post(f"/claims/{second.id}/disburse", data={"reference": "GZ-2", "paid_on": "2026-03-02"})
    page = client.get(f"/claims/{second.id}").get_data(as_text=True)
    # ¥5,000 order: ¥2,000 of vouchers, ¥1,000 of them set off, ¥1,000 transferred
    assert "本次拨付中 ¥1,000.00 用于抵扣" in page and "实际转账 ¥1,000.00" in page


def test_the_public_notice_shows_a_recovery_against_a_published_payment(client, session, world):
    _open(session, world, 1_000_00)
    text = client.get("/notices").get_data(as_text=True)
    assert "已追回：¥1,000.00" in text


def test_the_operator_bans_a_code_for_a_term_from_the_blacklist_page(client, session, world):
    from orgs.blacklist import negative_list
    from tests.helpers import unique_uscc

    code = unique_uscc()
    sign_in(client, world["operator"])
    both = client.post(
        "/operator/blacklist", data={"uscc": code, "reason": "骗取补贴", "years": "5", "ends_on": "2030-01-01"}
    )
    assert both.status_code == 422 and "不要同时填写" in both.get_data(as_text=True)
    assert (
        client.post("/operator/blacklist", data={"uscc": code, "reason": "骗取补贴", "years": "5"}).status_code == 302
    )
    [entry] = negative_list(fresh(session), 1, 20).items
    assert str(entry.ends_on) == "2031-03-02"
    assert "2031" in client.get("/operator/blacklist").get_data(as_text=True)
