"""The contract-voucher calls (issue 14), each with who may call it: the enterprise applies for its own
order, the reviewers of each stage's level decide within their jurisdiction, the programme's authority
closes a ranked round, staff lapse; everyone else gets 403 or 404."""

import pytest

from shop.states import Role
from tests.helpers import make_order, make_org, make_staff, member, token_for
from tests.services.test_contract_vouchers import CHENGZHONG, LANSHAN, LINYI, LIUZHOU, WAN, programme


@pytest.fixture
def linyi(session, today):
    today("2026-03-02")
    prog, authority = programme(session, "linyi", LINYI, "linyi-2026", 2026, 100 * WAN)
    enterprise = make_org(session, region_code=LANSHAN)
    provider = make_org(session, "provider")
    return {
        "programme": prog,
        "enterprise": enterprise,
        "order": make_order(session, enterprise, provider, amount_fen=10 * WAN, voucher_fen=0),
        "buyer": token_for(session, member(enterprise)),
        "neighbour": token_for(session, member(make_org(session, region_code=LANSHAN))),
        "seller": token_for(session, member(provider)),
        "county": token_for(session, make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN)),
        "other_county": token_for(session, make_staff(session, Role.OPERATOR, jurisdiction="371311")),
        "city": token_for(session, make_staff(session, Role.OPERATOR, jurisdiction=LINYI)),
        "authority": token_for(session, authority),
    }


def apply(client, world, who="buyer", **body):
    return client.post(f"/api/v1/orders/{world['order'].id}/voucher-application", json=body, headers=world[who])


def test_the_enterprise_applies_for_its_own_order_and_only_for_it(client, linyi):
    assert apply(client, linyi, "neighbour").status_code == 404  # another enterprise's order
    assert apply(client, linyi, "seller").status_code == 403
    assert apply(client, linyi, "county").status_code == 403
    assert client.post(f"/api/v1/orders/{linyi['order'].id}/voucher-application", json={}).status_code == 401
    bad = apply(client, linyi, facts={"certificates": "lianghua"})
    assert bad.status_code == 422
    answer = apply(client, linyi, facts={"certificates": ["lianghua"]})
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert (body["ratio"], body["amount_fen"], body["status"], body["stage"]) == (30, 3 * WAN, "applied", "county")
    assert body["facts"] == {"certificates": ["lianghua"]}
    again = apply(client, linyi)
    assert again.status_code == 409


def test_reading_vouchers_is_scoped_to_the_owner_the_provider_and_the_jurisdiction(client, linyi):
    voucher = apply(client, linyi).json
    url = f"/api/v1/contract-vouchers/{voucher['id']}"
    for who in ("buyer", "seller", "county", "city", "authority"):
        assert client.get(url, headers=linyi[who]).status_code == 200, who
    for who in ("neighbour", "other_county"):
        assert client.get(url, headers=linyi[who]).status_code == 404, who
    listing = client.get("/api/v1/contract-vouchers", headers=linyi["buyer"]).json
    assert [v["id"] for v in listing["items"]] == [voucher["id"]] and listing["total"] == 1
    assert client.get("/api/v1/contract-vouchers", headers=linyi["neighbour"]).json["total"] == 0
    assert client.get("/api/v1/contract-vouchers", headers=linyi["other_county"]).json["total"] == 0
    assert client.get("/api/v1/contract-vouchers?status=nope", headers=linyi["buyer"]).status_code == 422


def test_the_county_reviews_and_issues_others_cannot(client, linyi):
    voucher = apply(client, linyi).json
    url = f"/api/v1/contract-vouchers/{voucher['id']}/review"
    approve = {"decision": "approve"}
    assert client.post(url, json=approve, headers=linyi["buyer"]).status_code == 403
    assert client.post(url, json=approve, headers=linyi["other_county"]).status_code == 404
    assert client.post(url, json=approve, headers=linyi["city"]).status_code == 403  # not the county's level
    assert client.post(url, json={"decision": "reject"}, headers=linyi["county"]).status_code == 422  # why?
    answer = client.post(url, json=approve, headers=linyi["county"])
    assert answer.status_code == 200, answer.json
    assert (answer.json["status"], answer.json["number"]) == ("issued", "linyi-2026-2026-000001")
    assert answer.json["valid_until"] == "2026-12-31"
    order = client.get(f"/api/v1/orders/{linyi['order'].id}", headers=linyi["buyer"]).json
    assert (order["voucher_fen"], order["self_pay_fen"]) == (3 * WAN, 7 * WAN)
    assert client.post(url, json=approve, headers=linyi["county"]).status_code == 409  # decided

    lapse = f"/api/v1/contract-vouchers/{voucher['id']}/lapse"
    assert client.post(lapse, json={"reason": "合同未履行"}, headers=linyi["buyer"]).status_code == 403
    assert client.post(lapse, json={"reason": "合同未履行"}, headers=linyi["other_county"]).status_code == 404
    assert client.post(lapse, json={}, headers=linyi["county"]).status_code == 422
    lapsed = client.post(lapse, json={"reason": "合同未履行"}, headers=linyi["county"])
    assert (lapsed.status_code, lapsed.json["status"]) == (200, "lapsed")


def test_a_first_come_programme_has_no_round(client, linyi):
    url = f"/api/v1/programmes/{linyi['programme'].id}/rounds/close"
    assert client.post(url, headers=linyi["county"]).status_code == 403
    assert client.post(url, headers=linyi["authority"]).status_code == 409


@pytest.fixture
def liuzhou(session, today):
    today("2021-03-01")
    prog, authority = programme(session, "liuzhou", LIUZHOU, "liuzhou-2021", 2021, 100 * WAN)
    enterprise = make_org(session, region_code=CHENGZHONG)
    provider = make_org(session, "provider")
    return {
        "programme": prog,
        "order": make_order(session, enterprise, provider, amount_fen=10 * WAN, voucher_fen=0, year=2021),
        "buyer": token_for(session, member(enterprise)),
        "county": token_for(session, make_staff(session, Role.OPERATOR, jurisdiction=CHENGZHONG)),
        "city": token_for(session, make_staff(session, Role.OPERATOR, jurisdiction=LIUZHOU)),
        "authority": token_for(session, authority),
        "elsewhere": token_for(session, make_staff(session, Role.AUTHORITY, jurisdiction=LINYI)),
    }


def test_a_ranked_round_is_closed_by_the_programmes_authority(client, liuzhou):
    voucher = apply(client, liuzhou).json
    assert (voucher["ratio"], voucher["amount_fen"]) == (50, 5 * WAN)
    review = f"/api/v1/contract-vouchers/{voucher['id']}/review"
    assert client.post(review, json={"decision": "approve"}, headers=liuzhou["county"]).json["stage"] == "city"
    assert client.post(review, json={"decision": "approve"}, headers=liuzhou["city"]).status_code == 422  # score
    scored = client.post(review, json={"decision": "approve", "score": 88}, headers=liuzhou["city"]).json
    assert (scored["status"], scored["score"]) == ("reviewed", 88)
    url = f"/api/v1/programmes/{liuzhou['programme'].id}/rounds/close"
    assert client.post(url, headers=liuzhou["city"]).status_code == 403
    assert client.post(url, headers=liuzhou["elsewhere"]).status_code == 404
    closed = client.post(url, headers=liuzhou["authority"])
    assert closed.status_code == 200, closed.json
    assert [v["status"] for v in closed.json["granted"]] == ["in_notice"] and closed.json["refused"] == []


def test_the_presets_list_linyi_and_liuzhou_with_a_contract_scheme(client):
    presets = {p["key"]: p for p in client.get("/api/v1/policy-presets").json["items"]}
    for key in ("linyi", "liuzhou"):
        assert presets[key]["available"] is True
        assert presets[key]["schemes"][0]["flow"] == "contract"


def test_the_providers_confirmation_through_the_api_refunds_the_vouchers_amount(app, client, session, today):
    from orders.payments import InProcessGateway
    from tests.services.test_contract_vouchers import apply as apply_for
    from tests.services.test_contract_vouchers import approve

    today("2026-03-02")
    programme(session, "linyi", LINYI, "linyi-2026", 2026, 100 * WAN)
    enterprise, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    order = make_order(session, enterprise, provider, amount_fen=10 * WAN, voucher_fen=0, status="placed")
    gateway = InProcessGateway()
    app.extensions["orders.gateway"] = gateway
    intent = gateway.prepare(amount_fen=10 * WAN, payment_method="pm_card_visa", attempt_key="a1", description="")
    gateway.authorise(intent.id)
    order.payment_intent_id = intent.id
    session.commit()
    approve(session, make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN), apply_for(session, enterprise, order))
    seller = token_for(session, member(provider))
    answer = client.post(f"/api/v1/orders/{order.id}/confirm", headers=seller)
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "confirmed"
    assert gateway.refunds == [(intent.id, 3 * WAN)]  # 30% of ¥100,000 back on the card
