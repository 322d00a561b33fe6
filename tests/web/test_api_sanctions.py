"""The sanction calls of API.md's "Money safety" (suspend, reinstate, expel for enterprises too), the
`sanctioned` and `evidence_mismatch` problems, the payment date, and a refund that takes an order out
of a draft claim."""

import io

import pytest

from claims import queries as claim_queries
from claims import reviews
from claims import services as claims
from claims.commands import ClaimInput
from orgs import blacklist
from orgs.commands import BlacklistInput
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import (
    PDF,
    fresh,
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_product,
    make_programme,
    make_staff,
    member,
    token_for,
)
from tests.stripe_mock import card


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session, payments):
    make_programme(session)
    enterprise = make_org(session, name="贵阳守信采购有限公司")
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider", name="黔云违规科技有限公司")
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    return {
        "enterprise": enterprise,
        "provider": provider,
        "product": make_product(session, provider, price_fen=1_000_00),
        "buyer": token_for(session, member(enterprise)),
        "seller": token_for(session, member(provider)),
        "operator": token_for(session, operator),
        "authority": token_for(session, authority),
        "finance": token_for(session, make_staff(session, Role.FINANCE)),
        "operator_user": operator,
        "authority_user": authority,
        "gateway": payments,
    }


def problem(response, status, code):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code
    return response.json


def test_the_operator_suspends_until_a_day_and_reinstates(client, world):
    org_id = world["enterprise"].id
    response = client.post(
        f"/api/v1/organisations/{org_id}/suspend",
        json={"reason": "虚开发票待查", "until": "2026-04-01"},
        headers=world["operator"],
    )
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["status_reason"], response.json["suspended_until"]) == (
        "suspended",
        "虚开发票待查",
        "2026-04-01",
    )
    assert response.json["sanction"] == {"kind": "suspended", "reason": "虚开发票待查", "until": "2026-04-01"}
    own = client.get(f"/api/v1/organisations/{org_id}", headers=world["buyer"]).json
    assert own["status"] == "suspended" and own["sanction"]["until"] == "2026-04-01"
    problem(
        client.post(
            f"/api/v1/organisations/{org_id}/suspend",
            json={"reason": "x", "until": "2026-03-01"},
            headers=world["operator"],
        ),
        422,
        "validation_error",
    )
    problem(
        client.post(f"/api/v1/organisations/{org_id}/reinstate", json={}, headers=world["operator"]),
        422,
        "validation_error",
    )
    response = client.post(
        f"/api/v1/organisations/{org_id}/reinstate", json={"reason": "已整改"}, headers=world["operator"]
    )
    assert (response.json["status"], response.json["sanction"], response.json["suspended_until"]) == (
        "certified",
        None,
        None,
    )
    problem(
        client.post(f"/api/v1/organisations/{org_id}/reinstate", json={"reason": "x"}, headers=world["operator"]),
        409,
        "invalid_state",
    )
    problem(
        client.post("/api/v1/organisations/999999/suspend", json={"reason": "x"}, headers=world["operator"]),
        404,
        "not_found",
    )


def test_an_enterprise_is_expelled_through_the_api(client, world, session):
    response = client.post(
        f"/api/v1/organisations/{world['enterprise'].id}/expel",
        json={"reason": "骗取补贴", "blacklist": True},
        headers=world["operator"],
    )
    assert response.status_code == 200, response.json
    assert response.json == {"id": world["enterprise"].id, "status": "expelled", "delisted": 0, "blacklisted": True}
    got = client.get(f"/api/v1/organisations/{world['enterprise'].id}", headers=world["operator"]).json
    assert got["sanction"]["kind"] == "expelled"


@pytest.mark.parametrize("action", ["suspend", "reinstate", "expel"])
def test_no_one_but_the_operator_suspends_reinstates_or_expels(client, world, session, action):
    other_enterprise = make_org(session)
    body = {"reason": "x"}
    for who in ("buyer", "seller", "authority"):
        for target in (world["enterprise"], world["provider"], other_enterprise):
            response = client.post(f"/api/v1/organisations/{target.id}/{action}", json=body, headers=world[who])
            assert response.status_code in (403, 404), (who, target.id, response.status_code)
    # an enterprise cannot suspend (nor reinstate, nor expel) itself
    problem(
        client.post(f"/api/v1/organisations/{world['enterprise'].id}/{action}", json=body, headers=world["buyer"]),
        403,
        "forbidden",
    )
    assert client.post(f"/api/v1/organisations/{world['enterprise'].id}/{action}", json=body).status_code == 401
    assert fresh(session).get(type(world["enterprise"]), world["enterprise"].id).status.value == "certified"


def test_a_sanctioned_buyer_or_seller_is_a_409_naming_it(client, world, session):
    blacklist.add_to_blacklist(
        session,
        world["operator_user"],
        BlacklistInput.from_input({"uscc": world["provider"].uscc, "reason": "虚假服务"}),
    )
    body = {
        "lines": [{"product_id": world["product"].id, "quantity": 1}],
        "use_vouchers": True,
        "agreement_accepted": True,
        "payment_method": card(world["gateway"]),
    }
    error = problem(client.post("/api/v1/checkout", json=body, headers=world["buyer"]), 409, "sanctioned")
    assert "黔云违规科技有限公司" in error["detail"]
    assert error["sanctioned"] == [
        {
            "organisation_id": world["provider"].id,
            "name": "黔云违规科技有限公司",
            "sanction": "blacklisted",
            "until": None,
        }
    ]
    client.post(
        f"/api/v1/organisations/{world['enterprise'].id}/suspend", json={"reason": "待查"}, headers=world["operator"]
    )
    error = problem(
        client.post("/api/v1/cart/lines", json={"product_id": world["product"].id}, headers=world["buyer"]),
        409,
        "sanctioned",
    )
    assert "贵阳守信采购有限公司" in error["detail"]


def test_a_held_claim_says_so_and_cannot_be_approved(client, world, session, app):
    claim = make_claim(
        session,
        world["provider"],
        [make_order(session, world["enterprise"], world["provider"])],
        app.config["UPLOAD_DIR"],
    )
    client.post(
        f"/api/v1/organisations/{world['provider'].id}/suspend",
        json={"reason": "待查", "until": "2026-05-01"},
        headers=world["operator"],
    )
    got = client.get(f"/api/v1/claims/{claim.id}", headers=world["seller"]).json
    assert got["held"] is True
    assert got["held_by"] == [
        {
            "organisation_id": world["provider"].id,
            "name": "黔云违规科技有限公司",
            "sanction": "suspended",
            "until": "2026-05-01",
        }
    ]
    listed = client.get("/api/v1/claims", headers=world["operator"]).json["items"]
    assert [(c["id"], c["held"]) for c in listed] == [(claim.id, True)]
    problem(
        client.post(f"/api/v1/claims/{claim.id}/review", json={"decision": "approve"}, headers=world["operator"]),
        409,
        "sanctioned",
    )
    response = client.post(
        f"/api/v1/claims/{claim.id}/review",
        json={"decision": "reject", "reason": "服务商暂停"},
        headers=world["operator"],
    )
    assert (response.json["status"], response.json["held"]) == ("rejected", False)


def test_invoices_that_do_not_cover_the_orders_are_a_422_with_both_amounts(client, world, session, app):
    order = make_order(session, world["enterprise"], world["provider"], amount_fen=10_000_00)
    claim = make_claim(session, world["provider"], [order], app.config["UPLOAD_DIR"], submit=False)
    document = next(
        d
        for d in claim_queries.get_claim(session, member(world["provider"]), claim.id).live_documents
        if d.kind.value == "invoice"
    )
    client.delete(f"/api/v1/claims/{claim.id}/documents/{document.id}", headers=world["seller"])
    client.post(
        f"/api/v1/claims/{claim.id}/documents",
        headers=world["seller"],
        content_type="multipart/form-data",
        data={
            "kind": "invoice",
            "file": (io.BytesIO(PDF), "fapiao.pdf"),
            "invoice_number": "52009999",
            "invoice_amount_fen": "100",
        },
    )
    error = problem(client.post(f"/api/v1/claims/{claim.id}/submit", headers=world["seller"]), 422, "evidence_mismatch")
    assert "¥1.00" in error["detail"] and "¥10,000.00" in error["detail"]
    assert (error["invoices_fen"], error["orders_fen"]) == (100, 10_000_00)


def test_the_payment_date_must_follow_the_approval_and_not_be_in_the_future(client, world, session, app, today):
    claim = make_claim(
        session,
        world["provider"],
        [make_order(session, world["enterprise"], world["provider"])],
        app.config["UPLOAD_DIR"],
    )
    reviews.review_claim(session, world["operator_user"], claim.id, Decision(True))
    reviews.review_claim(session, world["authority_user"], claim.id, Decision(True))
    today("2026-03-04")
    for day in ("2026-03-01", "2026-03-05"):
        error = problem(
            client.post(
                f"/api/v1/claims/{claim.id}/disburse",
                json={"reference": "GZ-1", "paid_on": day},
                headers=world["finance"],
            ),
            422,
            "validation_error",
        )
        assert list(error["errors"]) == ["paid_on"]
    response = client.post(f"/api/v1/claims/{claim.id}/disburse", json={"reference": "GZ-1"}, headers=world["finance"])
    assert (response.json["status"], response.json["disbursed_on"]) == ("disbursed", "2026-03-04")


def test_a_refund_request_takes_the_order_out_of_its_draft_claim(client, world, session, app):
    orders = [make_order(session, world["enterprise"], world["provider"]) for _ in range(2)]
    draft = claims.create_claim(
        session, member(world["provider"]), ClaimInput.from_input({"order_ids": [o.id for o in orders]})
    )
    response = client.post(
        f"/api/v1/orders/{orders[0].id}/refund-request", json={"reason": "服务未开通"}, headers=world["buyer"]
    )
    assert (response.status_code, response.json["status"]) == (200, "refund_requested")
    got = client.get(f"/api/v1/claims/{draft.id}", headers=world["seller"]).json
    assert [(o["order_id"], o["excluded"], o["excluded_reason"]) for o in got["orders"]] == [
        (orders[0].id, True, "服务未开通"),
        (orders[1].id, False, None),
    ]
    assert got["total_fen"] == orders[1].voucher_fen
