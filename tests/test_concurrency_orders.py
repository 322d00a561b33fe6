"""Parallel checkouts on one wallet never overspend it; parallel cancels and refund decisions return
the vouchers exactly once. Several gunicorn workers, SQLite and PostgreSQL, localstripe."""

import pytest

from orders import checkout as checkouts
from orders import services
from tests.concurrency import all_at_once, gunicorn, request
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, member, token_for
from tests.stripe_mock import card
from wallet import services as wallet_services

pytestmark = pytest.mark.concurrency
CAP = 50_000_00


@pytest.fixture
def world(session, today, stripe_gateway):
    today("2026-03-02")
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    product = make_product(session, provider, price_fen=20_000_00)  # 40%: 8,000 of vouchers each
    return {"enterprise": enterprise, "provider": provider, "product": product, "gateway": stripe_gateway}


def _server(database_url, stripe_mock):
    return gunicorn(
        database_url,
        workers=4,
        env={"SHOP_TODAY": "2026-03-02", "STRIPE_API_BASE": stripe_mock, "STRIPE_SECRET_KEY": "sk_test_yunquan"},
    )


def test_parallel_checkouts_on_one_wallet_never_spend_more_than_it_holds(world, session, database_url, stripe_mock):
    headers = token_for(session, member(world["enterprise"]))
    bodies = [
        {
            "lines": [{"product_id": world["product"].id, "quantity": 1}],
            "use_vouchers": True,
            "agreement_accepted": True,
            "payment_method": card(world["gateway"]),
        }
        for _ in range(10)
    ]
    with _server(database_url, stripe_mock) as base:
        answers = all_at_once(
            [lambda b=b: request(base, "POST", "/api/v1/checkout", json_body=b, headers=headers) for b in bodies]
        )
    assert all(a.status == 201 for a in answers), [a.body for a in answers]
    vouchers = sorted((a.body["orders"][0]["voucher_fen"] for a in answers), reverse=True)
    assert sum(vouchers) == CAP  # the whole wallet, not a fen more
    assert vouchers == [8_000_00] * 6 + [2_000_00] + [0] * 3  # served one after another
    w = wallet_services.wallet(fresh(session), world["enterprise"].id, 2026)
    assert (w.available_fen, w.in_orders_fen) == (0, CAP)


def test_parallel_cancels_return_the_vouchers_once(world, session, database_url, stripe_mock):
    order = checkouts.checkout(
        session,
        member(world["enterprise"]),
        checkouts.CheckoutRequest([(world["product"].id, 1)], True, True, card(world["gateway"])),
        gateway=world["gateway"],
    )[0]
    headers = token_for(session, member(world["enterprise"]))
    with _server(database_url, stripe_mock) as base:
        answers = all_at_once(
            [lambda: request(base, "POST", f"/api/v1/orders/{order.id}/cancel", headers=headers) for _ in range(8)]
        )
    assert sorted(a.status for a in answers) == [200] + [409] * 7, [a.body for a in answers]
    w = wallet_services.wallet(fresh(session), world["enterprise"].id, 2026)
    assert (w.available_fen, w.in_orders_fen) == (CAP, 0)


def test_parallel_refund_decisions_return_the_vouchers_once(world, session, database_url, stripe_mock):
    buyer, seller = member(world["enterprise"]), member(world["provider"])
    order = checkouts.checkout(
        session,
        buyer,
        checkouts.CheckoutRequest([(world["product"].id, 1)], True, True, card(world["gateway"])),
        gateway=world["gateway"],
    )[0]
    services.confirm_order(session, seller, order.id, gateway=world["gateway"])
    services.request_refund(session, buyer, order.id, "未能开通")
    headers = token_for(session, seller)
    with _server(database_url, stripe_mock) as base:
        answers = all_at_once(
            [
                lambda: request(
                    base,
                    "POST",
                    f"/api/v1/orders/{order.id}/refund-decision",
                    json_body={"decision": "approve"},
                    headers=headers,
                )
                for _ in range(8)
            ]
        )
    assert sorted(a.status for a in answers) == [200] + [409] * 7, [a.body for a in answers]
    w = wallet_services.wallet(fresh(session), world["enterprise"].id, 2026)
    assert (w.available_fen, w.in_orders_fen) == (CAP, 0)
