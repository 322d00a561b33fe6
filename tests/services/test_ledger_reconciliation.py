"""``ledger-verify`` holds the ledger against the business rows (issue 11, "Proof that no fen goes
missing"): each wallet's in-orders, claimed and disbursed balances against its orders, unfinished
checkouts, claim items and disbursements; reservations and grants against the quota applications; the
year's budget against its programme. The review's M5 tampering and H1's outcome kept the ledger
balanced with itself, so only this comparison finds them."""

import pytest
from sqlalchemy import event, select, update

from orders.models import CheckoutAttempt
from orders.states import AttemptStatus
from tests.helpers import make_claim, make_order
from tests.oversight_helpers import oversight_world
from tests.tamper import append_only_lifted
from wallet import ledger, ledger_check
from wallet.models import LedgerAccount, LedgerPosting
from wallet.states import AccountKind


@pytest.fixture(autouse=True)
def on_a_monday_in_march(today):
    today("2026-03-02")


@pytest.fixture
def world(session, tmp_path):
    """e1: o1 disbursed (4,000 of vouchers), o3 placed (1,000), o5 refunded, o6 in a submitted claim (800);
    e2: o2 disbursed (3,000), o4 cancelled, o7 back in orders from a rejected claim (1,600); e3 pending."""
    return oversight_world(session, tmp_path / "uploads")


def _account(session, kind, organisation_id=None):
    return session.scalars(
        select(LedgerAccount).where(LedgerAccount.code == ledger.account_code(kind, 2026, organisation_id))
    ).one()


def _differences(session):
    report = ledger_check.verify(session)
    # the ledger agrees with itself throughout: only the comparison with the business rows can tell
    assert report.unbalanced_entries == [] and report.mismatched_accounts == [] and report.negative_accounts == []
    return [(d.account, d.ledger_fen, d.business_fen) for d in report.differences]


def test_a_programme_year_with_orders_and_claims_in_every_state_reconciles(session, world, tmp_path):
    e1, p1 = world["e1"], world["p1"]
    drafted = make_order(session, e1, p1, amount_fen=500_00)
    make_claim(session, p1, [drafted], tmp_path / "uploads", submit=False)  # a draft: still in orders
    report = ledger_check.verify(session)
    assert report.ok, report
    compared = set(report.compared)
    # every wallet account of both enterprises was held against its business rows
    for org in (e1, world["e2"]):
        for kind in ("in_orders", "claimed", "disbursed", "granted"):
            assert f"{kind}:2026:{org.id}" in compared
    assert f"reserved:2026:{world['e3'].id}" in compared and "budget:2026" in compared and "source:2026" in compared


def test_a_posting_moved_from_disbursed_to_available_with_both_balances_adjusted_is_found(app, session, world):
    """M5: the DBA moved e1's disbursement posting to its wallet and adjusted both balances."""
    e1 = world["e1"]
    disbursed, available = (
        _account(session, AccountKind.DISBURSED, e1.id),
        _account(session, AccountKind.AVAILABLE, e1.id),
    )
    posting = session.scalars(
        select(LedgerPosting).where(LedgerPosting.account_id == disbursed.id, LedgerPosting.amount_fen > 0)
    ).one()
    amount = posting.amount_fen
    assert amount == 4_000_00

    def move(source, target):
        with append_only_lifted(session, "ledger_postings"):
            session.execute(update(LedgerPosting).where(LedgerPosting.id == posting.id).values(account_id=target.id))
            session.execute(
                update(LedgerAccount)
                .where(LedgerAccount.id == source.id)
                .values(balance_fen=LedgerAccount.balance_fen - amount)
            )
            session.execute(
                update(LedgerAccount)
                .where(LedgerAccount.id == target.id)
                .values(balance_fen=LedgerAccount.balance_fen + amount)
            )

    move(disbursed, available)
    result = app.test_cli_runner().invoke(args=["ledger-verify"])
    assert result.exit_code == 1, result.output
    assert f"account disbursed:2026:{e1.id}: ledger 0, business 400000" in result.output
    assert _differences(session)[0] == (f"disbursed:2026:{e1.id}", 0, 4_000_00)
    move(available, disbursed)
    assert ledger_check.verify(session).ok


def test_an_order_whose_vouchers_never_left_the_wallet_is_found(app, session, world):
    """H1's outcome: reconcile returned the checkout's vouchers while the checkout went on to write
    the order; the order holds 1,000 of vouchers that are back in the wallet."""
    e1, o3 = world["e1"], world["orders"][2]
    assert o3.status == "placed" and o3.voucher_fen == 1_000_00
    ledger.release_vouchers(
        session, 2026, e1.id, o3.voucher_fen, ref=("checkout", o3.attempt_id), actor_id=None, kind="release_checkout"
    )
    session.commit()
    result = app.test_cli_runner().invoke(args=["ledger-verify"])
    assert result.exit_code == 1, result.output
    assert f"account in_orders:2026:{e1.id}: ledger 0, business 100000" in result.output
    assert _differences(session) == [(f"in_orders:2026:{e1.id}", 0, 1_000_00)]
    ledger.hold_vouchers(session, 2026, e1.id, o3.voucher_fen, ref=("order", o3.id), actor_id=None)
    session.commit()


def test_vouchers_of_an_unfinished_checkout_are_in_orders_until_it_ends(session, world):
    e1 = world["e1"]
    o3 = world["orders"][2]
    attempt = CheckoutAttempt(
        key="unfinished",
        request_hash="0" * 64,
        enterprise_id=e1.id,
        user_id=o3.attempt.user_id,
        status=AttemptStatus.PREPARED,
        voucher_year=2026,
        voucher_fen=500_00,
        self_pay_fen=0,
        plan=[],
        intents={},
        agreement_version="2026-01",
        agreement_accepted_at=o3.agreement_accepted_at,
    )
    session.add(attempt)
    session.flush()
    ledger.hold_vouchers(session, 2026, e1.id, 500_00, ref=("checkout", attempt.id), actor_id=None)
    session.commit()
    assert ledger_check.verify(session).ok
    # abandoned, but its vouchers were never returned
    attempt.status = AttemptStatus.ABANDONED
    session.commit()
    assert _differences(session) == [(f"in_orders:2026:{e1.id}", 1_500_00, 1_000_00)]
    ledger.release_vouchers(
        session, 2026, e1.id, 500_00, ref=("checkout", attempt.id), actor_id=None, kind="release_checkout"
    )
    session.commit()
    assert ledger_check.verify(session).ok


def test_vouchers_posted_into_a_wallet_without_a_grant_are_found(session, world):
    """An inserted entry (the triggers refuse changes, not inserts) that gives e1 10,000 more from the
    budget: the ledger adds up, the quota applications do not."""
    e1 = world["e1"]
    budget, available = _account(session, AccountKind.BUDGET), _account(session, AccountKind.AVAILABLE, e1.id)
    ledger.transfer(
        session, budget, available, 10_000_00, kind="grant_quota", year=2026, ref=("quota_application", 999)
    )
    session.commit()
    assert _differences(session) == [
        ("budget:2026", 840_000_00, 850_000_00),
        (f"granted:2026:{e1.id}", 60_000_00, 50_000_00),
    ]
    ledger.transfer(
        session, available, budget, 10_000_00, kind="release_reservation", year=2026, ref=("quota_application", 999)
    )
    session.commit()


def test_the_reconciliation_takes_the_same_number_of_queries_for_twelve_orders_as_for_two(app, session, world):
    """GROUP BYs, never a query per order, claim or wallet: it has to run at a million orders."""
    engine = app.extensions["shop.engine"]

    def queries() -> int:
        count = [0]

        def counter(*_args):
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            assert ledger_check.verify(session).ok
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count[0]

    before = queries()
    for _ in range(10):
        make_order(session, world["e2"], world["p2"], amount_fen=100_00)
    assert queries() == before
