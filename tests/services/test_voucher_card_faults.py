"""A contract voucher's card refund under faults (issue 14, hardening): the issuance commits the ledger
first and refunds the voucher's amount on the card after; an answer the payment service loses, or a
crash between the two, is finished by the daily ``settle_card_refunds``, and the card is never refunded
twice nor more than it holds, whatever happens to the voucher and the order in between.

The Linyi figures: a ¥100,000 contract paid in full on the card; the voucher is 30%, ¥30,000."""

import pytest
from sqlalchemy import select

from orders import reconcile, services, voucher_issue
from orders.models import Order
from orders.payments import InProcessGateway, PaymentUnavailable
from orders.states import PaymentStatus, VoucherStatus
from orders.voucher_models import ContractVoucher
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import fresh, make_order, make_org, make_staff, member
from tests.services.test_contract_vouchers import LANSHAN, LINYI, WAN, apply, approve, programme

pytestmark = pytest.mark.usefixtures("linyi_2026")


class LosesRefundAnswers(InProcessGateway):
    """Refunds, then loses the answer (a timeout) while ``losing`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.losing = True

    def refund(self, intent_id, amount_fen=None, *, purpose=None):
        refund_id = super().refund(intent_id, amount_fen, purpose=purpose)
        if self.losing:
            raise PaymentUnavailable("read timed out")
        return refund_id


@pytest.fixture
def linyi_2026(session, today):
    today("2026-03-02")
    programme(session, "linyi", LINYI, "linyi-2026", 2026, 100 * WAN)


def paid_order(session, gateway, *, captured=True):
    """A ¥100,000 order of a Lanshan enterprise, paid in full on the card (captured, or a hold)."""
    org, provider = make_org(session, region_code=LANSHAN), make_org(session, "provider")
    status = "confirmed" if captured else "placed"
    order = make_order(session, org, provider, amount_fen=10 * WAN, voucher_fen=0, status=status)
    intent = gateway.prepare(
        amount_fen=10 * WAN, payment_method="pm_card_visa", attempt_key=f"k{order.id}", description=""
    )
    gateway.authorise(intent.id)
    if captured:
        gateway.capture(intent.id)
    else:
        order.payment_status = PaymentStatus.CAPTURE_PENDING
    order.payment_intent_id = intent.id
    session.commit()
    return org, provider, order, intent.id


def issued(session, org, order):
    county = make_staff(session, Role.OPERATOR, jurisdiction=LANSHAN)
    voucher = approve(session, county, apply(session, org, order))
    assert voucher.status == VoucherStatus.ISSUED
    return voucher, county


def voucher_row(session, voucher_id):
    return fresh(session).scalars(select(ContractVoucher).where(ContractVoucher.id == voucher_id)).one()


def test_a_lost_answer_is_retried_by_the_daily_run_and_the_card_is_refunded_once(session):
    gateway = LosesRefundAnswers()
    org, _provider, order, intent = paid_order(session, gateway)
    voucher, _county = issued(session, org, order)
    assert voucher_issue.settle_card_refunds(session, gateway) == 0  # made, but the answer is lost
    assert voucher_row(session, voucher.id).card_refund_id is None
    assert voucher_issue.settle_card_refunds(session, gateway) == 0  # still lost: retried again, never twice
    gateway.losing = False
    assert voucher_issue.settle_card_refunds(session, gateway) == 1
    assert gateway.refunds == [(intent, 3 * WAN)]  # one refund of ¥30,000
    assert voucher_row(session, voucher.id).card_refund_id == "re_local_1"
    assert voucher_issue.settle_card_refunds(session, gateway) == 0


def test_a_crash_after_the_refund_before_it_is_recorded_is_recorded_by_the_next_run(session, monkeypatch):
    gateway = InProcessGateway()
    org, _provider, order, intent = paid_order(session, gateway)
    voucher, _county = issued(session, org, order)

    def crash(*args, **kwargs):
        raise SystemExit("the worker died")

    with monkeypatch.context() as m:
        m.setattr(voucher_issue, "_record_refund", crash)
        with pytest.raises(SystemExit):
            voucher_issue.settle_card_refunds(session, gateway)
    session.rollback()
    assert gateway.refunds == [(intent, 3 * WAN)]
    assert voucher_issue.settle_card_refunds(session, gateway) == 1  # the gateway finds the refund made
    assert gateway.refunds == [(intent, 3 * WAN)]
    assert voucher_row(session, voucher.id).card_refund_id == "re_local_1"


def test_an_order_refunded_before_the_voucher_refund_went_out_still_gets_the_voucher_amount_back(session):
    gateway = InProcessGateway()
    org, provider, order, intent = paid_order(session, gateway)
    voucher, _county = issued(session, org, order)  # the worker dies before the card refund is sent
    services.request_refund(session, member(org), order.id, "不再需要")
    services.decide_refund(session, member(provider), order.id, Decision(True), gateway=gateway)
    assert fresh(session).get(Order, order.id).payment_status == PaymentStatus.REFUNDED
    assert voucher_row(session, voucher.id).status == VoucherStatus.LAPSED
    # the order's own refund gives back the self-paid ¥70,000; the voucher's ¥30,000 still goes back
    assert voucher_issue.settle_card_refunds(session, gateway) == 1
    assert sorted(amount for _i, amount in gateway.refunds) == [3 * WAN, 7 * WAN]


def test_a_voucher_lapsed_before_its_card_refund_calls_the_refund_off(session):
    gateway = LosesRefundAnswers()
    gateway.losing = False
    org, provider, order, intent = paid_order(session, gateway)
    voucher, county = issued(session, org, order)
    voucher_issue.lapse_voucher(session, county, voucher.id, "合同未履行")  # the order is paid in full again
    assert voucher_row(session, voucher.id).card_refund_fen == 0
    assert voucher_issue.settle_card_refunds(session, gateway) == 0
    assert gateway.refunds == []
    services.request_refund(session, member(org), order.id, "不再需要")
    services.decide_refund(session, member(provider), order.id, Decision(True), gateway=gateway)
    assert gateway.refunds == [(intent, 10 * WAN)]  # the whole price, once


def test_an_order_refund_after_the_voucher_refund_and_its_lapse_never_refunds_more_than_the_card_holds(session):
    gateway = InProcessGateway()
    org, provider, order, intent = paid_order(session, gateway)
    voucher, county = issued(session, org, order)
    assert voucher_issue.settle_card_refunds(session, gateway) == 1  # ¥30,000 back
    voucher_issue.lapse_voucher(session, county, voucher.id, "合同未履行")  # the order says ¥100,000 self-paid
    assert fresh(session).get(Order, order.id).self_pay_fen == 10 * WAN
    assert voucher_row(session, voucher.id).card_refund_fen == 3 * WAN  # what was refunded stays recorded
    services.request_refund(session, member(org), order.id, "不再需要")
    services.decide_refund(session, member(provider), order.id, Decision(True), gateway=gateway)
    # ¥70,000 is what the card still holds: the order's refund gives back that, not ¥100,000
    assert gateway.refunds == [(intent, 3 * WAN), (intent, 7 * WAN)]
    assert fresh(session).get(Order, order.id).payment_status == PaymentStatus.REFUNDED


def test_a_voucher_issued_while_the_capture_is_pending_refunds_the_card_once_captured(session):
    gateway = InProcessGateway()
    org, _provider, order, intent = paid_order(session, gateway, captured=False)
    voucher, _county = issued(session, org, order)
    assert voucher.card_refund_fen == 3 * WAN
    assert voucher_issue.settle_card_refunds(session, gateway) == 0  # not captured yet
    gateway.capture(intent)
    reconcile.settle_quietly(session, gateway, order.id)  # reconcile-payments finds the capture taken
    assert fresh(session).get(Order, order.id).payment_status == PaymentStatus.CAPTURED
    assert voucher_issue.settle_card_refunds(session, gateway) == 1
    assert gateway.refunds == [(intent, 3 * WAN)]
