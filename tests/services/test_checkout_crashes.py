"""The checkout process is killed between each two of its steps: no order exists, the vouchers are
held only until ``reconcile_payments`` runs, which voids every card hold and releases them."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from orders import attempts
from orders import checkout as checkouts
from orders import reconcile as reconciliation
from orders.faults import POINTS
from orders.models import CheckoutAttempt, Order
from orders.states import AttemptStatus
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, member
from tests.stripe_mock import VISA, card
from wallet import services as wallet_services

CAP = 50_000_00
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_each_step_leaves_no_order_and_reconcile_gives_everything_back(
    point, session, database_url, stripe_mock, stripe_gateway, today
):
    today("2026-03-02")
    make_programme(session)
    buyer_org = make_org(session)
    grant_wallet(session, buyer_org)
    p1, p2 = make_org(session, "provider"), make_org(session, "provider")
    a, b = (
        make_product(session, p1, price_fen=1_000_00),
        make_product(session, p2, price_fen=2_000_00, layer="platform"),
    )
    pm = card(stripe_gateway, VISA)
    env = {**os.environ, "SHOP_ENV": "testing", "SHOP_TODAY": "2026-03-02", "YUNQUAN_CRASH_AT": point}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.crash_checkout",
            database_url,
            stripe_mock,
            str(member(buyer_org).id),
            pm,
            f"{a.id}:1",
            f"{b.id}:1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 70, result.stderr.decode()[-2000:]

    fresh(session)
    assert session.scalar(select(func.count()).select_from(Order)) == 0, "a crashed checkout left an order"
    attempt = session.scalars(select(CheckoutAttempt)).one()
    assert attempt.status != AttemptStatus.COMPLETED
    held = 400_00 + 1_200_00
    assert wallet_services.wallet(session, buyer_org.id, 2026).in_orders_fen == held  # held until reconciled
    session.rollback()

    today("2026-03-03")  # the next day: the dead checkout's lease has run out
    report = reconciliation.reconcile_payments(session, stripe_gateway, older_than=dt.timedelta(0))
    assert report.abandoned_attempts == 1 and report.released_fen == held
    assert report.voided_intents == (0 if point == "reserved" else 2)  # also those found by their metadata
    fresh(session)
    w = wallet_services.wallet(session, buyer_org.id, 2026)
    assert (w.available_fen, w.in_orders_fen) == (CAP, 0)
    attempt = session.scalars(select(CheckoutAttempt)).one()
    assert attempt.status == AttemptStatus.ABANDONED
    holds = [i for index in (0, 1) for i in stripe_gateway.find_by_attempt(attempts.intent_key(attempt, index))]
    if point != "reserved":
        assert len(holds) == 2
    assert all(i.status == "canceled" for i in holds), "a card hold was left behind"
    # running it again changes nothing
    again = reconciliation.reconcile_payments(session, stripe_gateway, older_than=dt.timedelta(0))
    assert again.abandoned_attempts == 0 and again.released_fen == 0


def test_reconcile_leaves_a_recent_attempt_alone(session, stripe_gateway, today):
    today("2026-03-02")
    make_programme(session)
    buyer_org = make_org(session)
    grant_wallet(session, buyer_org)
    provider = make_org(session, "provider")
    product = make_product(session, provider)
    checkouts._reserve(
        session,
        member(buyer_org),
        buyer_org,
        checkouts.CheckoutRequest([(product.id, 1)], True, True, "pm_card_visa"),
        "recent",
        "0" * 64,
    )
    report = reconciliation.reconcile_payments(session, stripe_gateway, older_than=dt.timedelta(minutes=15))
    assert report.abandoned_attempts == 0
    reconciliation.reconcile_payments(session, stripe_gateway, older_than=dt.timedelta(0))
