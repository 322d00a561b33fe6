"""The demo grows to a few hundred orders over the months of 2026, with claims, complaints and notices at
every step; the ledger and the trail stay sound and a second run adds nothing."""

import datetime as dt

from sqlalchemy import func, select

from claims.models import Claim
from orders.models import Order
from oversight import reports
from oversight.models import Complaint, NoticeEntry, NoticeObjection
from shop import clock
from shop.audit import AuditEntry
from shop.audit_chain import verify_chain
from tests.helpers import fresh
from wallet.ledger_check import verify
from wallet.models import LedgerAccount


def _counts(session):
    session = fresh(session)
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Order, Claim, Complaint, NoticeEntry, NoticeObjection, AuditEntry)
    }


def test_the_demo_has_hundreds_of_orders_claims_complaints_and_notices_and_a_second_run_adds_nothing(
    app, session, today
):
    today("2026-11-30")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    counts = _counts(session)
    assert counts["Order"] >= 250
    orders = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    assert orders["cancelled"] >= 5 and orders["refunded"] >= 3 and orders["placed"] >= 1
    # every order still waiting for its provider is within the confirmation deadline: the first request
    # of the day would otherwise cancel the demo's waiting orders
    deadline = clock.china_midnight(dt.date(2026, 11, 30) - dt.timedelta(days=app.config["CONFIRMATION_DEADLINE_DAYS"]))
    assert not session.scalar(
        select(func.count()).select_from(Order).where(Order.status == "placed", Order.placed_at < deadline)
    )
    weeks = [w for w in reports.orders_per_week(session, 2026) if w.orders]
    assert len(weeks) >= 40
    claims = dict(session.execute(select(Claim.status, func.count()).group_by(Claim.status)).all())
    assert claims["disbursed"] >= 6 and claims["rejected"] >= 1
    assert {"draft", "submitted", "operator_approved", "approved"} <= set(claims)
    complaints = dict(session.execute(select(Complaint.status, func.count()).group_by(Complaint.status)).all())
    assert set(complaints) == {"open", "in_progress", "resolved"}
    objections = session.scalars(select(NoticeObjection)).all()
    assert {o.status.value for o in objections} == {"open", "answered"}
    entries = session.scalars(select(NoticeEntry)).all()
    in_notice = {e.kind.value for e in entries if e.is_in_notice(dt.date(2026, 11, 30))}
    assert in_notice == {"quota_grant", "disbursement"}
    assert sum(not e.is_in_notice(dt.date(2026, 11, 30)) for e in entries) >= 20  # the archive
    cities = {r.city_code for r in reports.by_city(session, 2026)}
    assert {"5201", "5202", "5203", "5204", "5205", "5206", "5223", "5226", "5227"} <= cities
    assert verify(session).ok and verify_chain(session).ok
    assert session.scalar(select(func.min(LedgerAccount.balance_fen)).where(LedgerAccount.kind != "source")) >= 0

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts(session) == counts
