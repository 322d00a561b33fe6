"""Payment failure paths (issue 11, findings H1, H2 and L8 of the second security review): reconcile
racing a live checkout, a capture whose answer is lost, and what reconciliation does with every payment
that is not final."""

import datetime as dt
import threading

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from orders import attempts, services
from orders import checkout as checkouts
from orders import reconcile as reconciliation
from orders.models import CheckoutAttempt, Order
from orders.payments import InProcessGateway
from orders.states import AttemptStatus, CancellationReason, OrderStatus, PaymentStatus
from shop.accounts import User
from shop.audit import history
from shop.db import write_transactions
from shop.errors import DomainError
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, member
from tests.payment_fakes import LateAnswerGateway, LostCaptureGateway, LostCaptureStripeGateway
from tests.stripe_mock import card
from wallet import ledger
from wallet import services as wallet_services
from wallet.models import LedgerEntry

CAP = 50_000_00


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def world(session):
    make_programme(session)
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    return {
        "enterprise": enterprise,
        "buyer": member(enterprise),
        "provider": provider,
        "seller": member(provider),
        "product": make_product(session, provider, price_fen=1_000_00),
    }  # 40%: ¥400 of vouchers


def request(world, quantity=1, pm="pm_card_visa"):
    return checkouts.CheckoutRequest([(world["product"].id, quantity)], True, True, pm)


def place(session, world, gateway, pm="pm_card_visa"):
    """One order: ¥1,000, of which ¥400 vouchers and ¥600 held on the card."""
    return checkouts.checkout(session, world["buyer"], request(world, pm=pm), gateway=gateway)[0]


def order_state(session, order):
    current = fresh(session).get(Order, order.id)
    return current.status, current.payment_status


def wallet(session, world):
    return wallet_services.wallet(fresh(session), world["enterprise"].id, 2026)


def count(session, model, *where):
    return fresh(session).scalar(select(func.count()).select_from(model).where(*where))


def reconcile(app, gateway, older_than=dt.timedelta(0)):
    """Run reconciliation as cron would: a session of its own, write transactions."""
    with write_transactions(), app.extensions["shop.sessions"]() as s:
        return reconciliation.reconcile_payments(s, gateway, older_than=older_than)


class CheckoutInThread:
    """A checkout running in a thread of its own (a gunicorn worker waiting on the payment service)."""

    def __init__(self, app, world, gateway):
        self.result, self.error = None, None

        def run():
            with app.extensions["shop.sessions"]() as s:
                try:
                    self.result = checkouts.checkout(s, s.get(User, world["buyer"].id), request(world), gateway=gateway)
                except DomainError as exc:
                    self.error = exc

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self):
        self.thread.join(120)
        assert not self.thread.is_alive()


class TestReconcileRacingALiveCheckout:
    """H1: reconcile used to void the hold and return the vouchers of a checkout still waiting for the
    payment service's answer, and the checkout then wrote its order anyway."""

    @pytest.mark.parametrize("step", ["prepare", "authorise"])
    def test_a_checkout_taken_by_reconcile_ends_failed_with_no_order_and_every_voucher_back_once(
        self, step, app, session, world, today
    ):
        gateway = LateAnswerGateway(step)
        checkout = CheckoutInThread(app, world, gateway)
        assert gateway.waiting.wait(60)
        today("2026-03-03")  # the answer is so late that the checkout's lease has run out
        report = reconcile(app, gateway)
        gateway.release.set()
        checkout.join()

        assert report.abandoned_attempts == 1 and report.released_fen == 400_00
        assert checkout.result is None, "the abandoned checkout wrote orders"
        assert checkout.error.code == "payment_unavailable"
        assert "no order" in str(checkout.error.detail).lower()
        assert count(session, Order) == 0
        w = wallet(session, world)
        assert (w.available_fen, w.in_orders_fen) == (CAP, 0)
        attempt = session.scalars(select(CheckoutAttempt)).one()
        assert attempt.status == AttemptStatus.ABANDONED
        assert (
            count(session, LedgerEntry, LedgerEntry.kind == "release_checkout", LedgerEntry.ref_id == attempt.id) == 1
        )
        assert [i["status"] for i in gateway.intents.values()] == ["canceled"], "a card hold was left behind"

    def test_reconcile_leaves_a_checkout_alone_while_its_lease_is_live(self, app, session, world):
        gateway = LateAnswerGateway("authorise")
        checkout = CheckoutInThread(app, world, gateway)
        assert gateway.waiting.wait(60)
        report = reconcile(app, gateway)  # --older-than 0, but the checkout is alive
        gateway.release.set()
        checkout.join()

        assert report.abandoned_attempts == 0 and report.voided_intents == 0
        assert checkout.error is None and len(checkout.result) == 1
        order = fresh(session).get(Order, checkout.result[0].id)
        assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.AUTHORISED)
        assert gateway.retrieve(order.payment_intent_id).status == "requires_capture"
        w = wallet(session, world)
        assert (w.available_fen, w.in_orders_fen) == (CAP - 400_00, 400_00)

    def test_a_database_error_after_the_card_was_authorised_is_not_answered_as_nothing_changed(
        self, app, session, world, today
    ):
        engine = app.extensions["shop.engine"]
        armed = []

        def database_fails(conn, cursor, statement, parameters, context, executemany):
            if armed:
                armed.clear()
                raise OperationalError(statement, parameters, Exception("database is locked"))

        class AuthoriseThenDatabaseFails(InProcessGateway):
            def authorise(self, intent_id):
                intent = super().authorise(intent_id)
                armed.append(True)
                return intent

        gateway = AuthoriseThenDatabaseFails()
        event.listen(engine, "before_cursor_execute", database_fails)
        try:
            with pytest.raises(DomainError) as caught:
                checkouts.checkout(session, world["buyer"], request(world), gateway=gateway)
        finally:
            event.remove(engine, "before_cursor_execute", database_fails)
        assert caught.value.code == "payment_unavailable"
        assert "released automatically" in str(caught.value.detail)
        today("2026-03-03")
        report = reconcile(app, gateway)
        assert (report.abandoned_attempts, report.voided_intents, report.released_fen) == (1, 1, 400_00)
        assert count(session, Order) == 0 and wallet(session, world).available_fen == CAP

    def test_reconcile_counts_the_holds_it_found_by_their_metadata(self, app, session, world, today):
        """L8: a checkout that crashed after creating its intent, before recording its id."""
        gateway = InProcessGateway()
        attempt = checkouts._reserve(session, world["buyer"], world["enterprise"], request(world), "crashed", "0" * 64)
        intent = gateway.prepare(
            amount_fen=600_00,
            payment_method="pm_card_visa",
            attempt_key=attempts.intent_key(attempt, 0),
            description="crashed",
        )
        gateway.authorise(intent.id)
        today("2026-03-03")
        report = reconcile(app, gateway)
        assert report.abandoned_attempts == 1 and report.voided_intents == 1
        assert gateway.retrieve(intent.id).status == "canceled"


def test_reconcile_payments_from_cron_refuses_an_age_below_the_payment_timeouts(app):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["reconcile-payments", "--older-than", "1"])
    assert refused.exit_code == 2
    assert "at least 2 minutes" in refused.output and "20 s for each of the 4 calls" in refused.output
    done = runner.invoke(args=["reconcile-payments", "--older-than", "2"])
    assert done.exit_code == 0, done.output
    assert "abandoned 0 checkout(s)" in done.output


class TestACaptureWhoseAnswerIsLost:
    """H2: the capture was carried out but its answer never came (a timeout, or the database failing
    right after it). The order used to stay "placed" with the card charged; a cancel then tried to void
    the captured intent and stayed ``void_pending`` for ever."""

    def test_the_intent_is_read_back_and_the_order_confirmed(self, session, world):
        gateway = LostCaptureGateway()
        order = place(session, world, gateway)
        confirmed = services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        assert (confirmed.status, confirmed.payment_status) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)
        assert order_state(session, order) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)

    def test_with_the_service_down_the_provider_is_told_the_payment_may_have_been_taken(
        self, app, session, world, today
    ):
        gateway = LostCaptureGateway(down_after_capture=True)
        order = place(session, world, gateway)
        with pytest.raises(DomainError) as caught:
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        assert caught.value.code == "payment_unavailable"
        assert "may have been taken" in str(caught.value.detail) and "reconciliation" in str(caught.value.detail)
        assert order_state(session, order) == (OrderStatus.PLACED, PaymentStatus.CAPTURE_PENDING)
        assert reconcile(app, gateway).still_pending == 0  # its confirm may still be waiting: not yet
        today("2026-03-03")
        assert reconcile(app, gateway).still_pending == 1  # still down: nothing decided blindly
        gateway.down = False
        report = reconcile(app, gateway)
        assert report.finished_captures == 1
        assert order_state(session, order) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)
        assert reconcile(app, gateway).finished_captures == 0

    def test_the_providers_retry_confirms_it_once_the_service_is_back(self, session, world):
        gateway = LostCaptureGateway(down_after_capture=True)
        order = place(session, world, gateway)
        with pytest.raises(DomainError):
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        gateway.down = False
        confirmed = services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        assert (confirmed.status, confirmed.payment_status) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)

    def test_cancelling_it_refunds_the_card_instead_of_voiding_and_reconcile_finishes_it(self, app, session, world):
        gateway = LostCaptureGateway(down_after_capture=True)
        order = place(session, world, gateway)
        with pytest.raises(DomainError):
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        cancelled = services.cancel_order(session, world["buyer"], order.id, gateway=gateway)  # still down
        assert (cancelled.status, cancelled.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.VOID_PENDING)
        assert wallet(session, world).available_fen == CAP
        gateway.down = False
        report = reconcile(app, gateway)
        assert report.finished_refunds == 1 and report.still_pending == 0
        assert order_state(session, order) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
        assert gateway.refunds == [(order.payment_intent_id, 600_00)], "the captured money was not given back"
        again = reconcile(app, gateway)
        assert (again.finished_refunds, again.finished_voids, again.still_pending) == (0, 0, 0)
        assert len(gateway.refunds) == 1

    def test_cancelling_it_once_the_service_is_back_refunds_at_once(self, session, world):
        gateway = LostCaptureGateway(down_after_capture=True)
        order = place(session, world, gateway)
        with pytest.raises(DomainError):
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        gateway.down = False
        cancelled = services.cancel_order(session, world["buyer"], order.id, gateway=gateway)
        assert (cancelled.status, cancelled.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
        assert gateway.refunds == [(order.payment_intent_id, 600_00)]

    def test_a_capture_that_never_happened_goes_back_to_authorised(self, app, session, world, today):
        gateway = LostCaptureGateway(down_after_capture=True, capture_happens=False)
        order = place(session, world, gateway)
        with pytest.raises(DomainError):
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        gateway.down = False
        today("2026-03-03")
        assert reconcile(app, gateway).captures_not_taken == 1
        assert order_state(session, order) == (OrderStatus.PLACED, PaymentStatus.AUTHORISED)
        assert gateway.retrieve(order.payment_intent_id).status == "requires_capture"
        gateway.answer_lost, gateway.capture_happens = False, True
        services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        assert order_state(session, order) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)

    def test_a_database_error_right_after_the_capture_is_not_answered_as_nothing_changed(
        self, app, session, world, today
    ):
        engine = app.extensions["shop.engine"]
        armed = []

        def database_fails(conn, cursor, statement, parameters, context, executemany):
            if armed:
                armed.clear()
                raise OperationalError(statement, parameters, Exception("database is locked"))

        gateway = LostCaptureGateway(answer_lost=False, after_capture=lambda: armed.append(True))
        order = place(session, world, gateway)
        event.listen(engine, "before_cursor_execute", database_fails)
        try:
            with pytest.raises(DomainError) as caught:
                services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        finally:
            event.remove(engine, "before_cursor_execute", database_fails)
        assert caught.value.code == "payment_unavailable"
        assert "has been taken" in str(caught.value.detail) and "reconciliation" in str(caught.value.detail).lower()
        assert order_state(session, order) == (OrderStatus.PLACED, PaymentStatus.CAPTURE_PENDING)
        today("2026-03-03")
        assert reconcile(app, gateway).finished_captures == 1
        assert order_state(session, order) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)

    def test_reconcile_releases_the_hold_of_a_cancelled_order_still_marked_authorised(self, app, session, world):
        gateway = InProcessGateway()
        order = place(session, world, gateway)
        with write_transactions(), app.extensions["shop.sessions"]() as s:  # as an older version left it:
            s.execute(update(Order).where(Order.id == order.id).values(status=OrderStatus.CANCELLED))  # cancelled,
            ledger.release_vouchers(
                s,
                order.voucher_year,
                order.enterprise_id,
                order.voucher_fen,  # vouchers back,
                ref=("order", order.id),
                actor_id=None,
            )  # hold left
            s.commit()
        report = reconcile(app, gateway)
        assert report.finished_voids == 1
        assert order_state(session, order) == (OrderStatus.CANCELLED, PaymentStatus.VOIDED)
        assert gateway.retrieve(order.payment_intent_id).status == "canceled"


def test_against_stripe_a_cancel_after_a_lost_capture_answer_refunds_the_captured_intent(session, world, stripe_mock):
    gateway = LostCaptureStripeGateway("sk_test_yunquan", api_base=stripe_mock, down_after_capture=True)
    order = place(session, world, gateway, pm=card(gateway))
    with pytest.raises(DomainError) as caught:
        services.confirm_order(session, world["seller"], order.id, gateway=gateway)
    assert "may have been taken" in str(caught.value.detail)
    gateway.down = False
    assert gateway.retrieve(order.payment_intent_id).status == "succeeded"  # the card was charged
    cancelled = services.cancel_order(session, world["buyer"], order.id, gateway=gateway)
    assert (cancelled.status, cancelled.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
    refunds = gateway.client.v1.refunds.list(params={"payment_intent": order.payment_intent_id}).data
    assert [r.amount for r in refunds] == [600_00] and cancelled.refund_id == refunds[0].id
    assert wallet(session, world).available_fen == CAP


class TestCardHoldsExpire:
    """Stripe lets an uncaptured hold lapse after 7 days: an order its provider has not confirmed by the
    deadline (CONFIRMATION_DEADLINE_DAYS, 6) is cancelled by the daily job, vouchers back, with the reason."""

    def test_orders_not_confirmed_by_the_deadline_are_cancelled_with_vouchers_back_and_the_hold_voided(
        self, session, world, today
    ):
        gateway = InProcessGateway()
        waiting = place(session, world, gateway)
        confirmed = place(session, world, gateway)
        services.confirm_order(session, world["seller"], confirmed.id, gateway=gateway)
        today("2026-03-07")  # five days on: still time
        assert reconciliation.expire_unconfirmed_orders(session, gateway, deadline_days=6) == 0
        assert order_state(session, waiting) == (OrderStatus.PLACED, PaymentStatus.AUTHORISED)

        today("2026-03-08")  # six days and a moment
        assert reconciliation.expire_unconfirmed_orders(session, gateway, deadline_days=6) == 1
        lapsed = fresh(session).get(Order, waiting.id)
        assert (lapsed.status, lapsed.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.VOIDED)
        assert lapsed.cancellation_reason == CancellationReason.CONFIRMATION_DEADLINE
        assert gateway.retrieve(waiting.payment_intent_id).status == "canceled"
        w = wallet(session, world)
        assert (w.available_fen, w.in_orders_fen) == (CAP - 400_00, 400_00)  # only the confirmed order's
        entry = next(e for e in history(session, "order", waiting.id) if e.action == "lapse")
        assert entry.actor_label == "system" and entry.after["cancellation_reason"] == "confirmation_deadline"
        assert order_state(session, confirmed) == (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)
        assert reconciliation.expire_unconfirmed_orders(session, gateway, deadline_days=6) == 0  # idempotent
        assert wallet(session, world).available_fen == CAP - 400_00

    def test_an_order_its_provider_is_confirming_right_now_is_left_to_that_confirm(self, session, world, today):
        gateway = LostCaptureGateway(down_after_capture=True)
        order = place(session, world, gateway)
        with pytest.raises(DomainError):
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        today("2026-03-09")
        assert reconciliation.expire_unconfirmed_orders(session, gateway, deadline_days=6) == 0
        assert order_state(session, order) == (OrderStatus.PLACED, PaymentStatus.CAPTURE_PENDING)

    def test_a_confirm_finding_the_hold_released_cancels_the_order_with_the_reason(self, session, world):
        gateway = InProcessGateway()
        order = place(session, world, gateway)
        gateway.intents[order.payment_intent_id]["status"] = "canceled"  # the service let it lapse
        with pytest.raises(DomainError) as caught:
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        assert caught.value.code == "payment_declined" and "nothing was taken" in str(caught.value.detail)
        lapsed = fresh(session).get(Order, order.id)
        assert (lapsed.status, lapsed.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.VOIDED)
        assert lapsed.cancellation_reason == CancellationReason.CARD_HOLD_RELEASED
        assert wallet(session, world).available_fen == CAP

    def test_reconcile_cancels_an_order_whose_pending_capture_finds_the_hold_released(self, app, session, world, today):
        gateway = LostCaptureGateway(down_after_capture=True, capture_happens=False)
        order = place(session, world, gateway)
        with pytest.raises(DomainError):
            services.confirm_order(session, world["seller"], order.id, gateway=gateway)
        gateway.down = False
        gateway.intents[order.payment_intent_id]["status"] = "canceled"
        today("2026-03-03")
        assert reconcile(app, gateway).finished_voids == 1
        lapsed = fresh(session).get(Order, order.id)
        assert (lapsed.status, lapsed.cancellation_reason) == (
            OrderStatus.CANCELLED,
            CancellationReason.CARD_HOLD_RELEASED,
        )
        assert wallet(session, world).available_fen == CAP
