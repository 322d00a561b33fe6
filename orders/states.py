"""Order pipeline (第十九条–第二十一条): placed → confirmed by the provider; cancelled by the buyer before
confirmation; after confirmation (and before a claim) a refund request the provider approves or refuses."""

from __future__ import annotations

from enum import StrEnum

from shop.states import StateMachine


class OrderStatus(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"


ORDER = StateMachine[OrderStatus](
    "order",
    {
        # "lapse": cancelled by the platform, with a reason (``CancellationReason``): the provider did not
        # confirm by the deadline, or the payment service let the card hold go
        OrderStatus.PLACED: {
            "confirm": OrderStatus.CONFIRMED,
            "cancel": OrderStatus.CANCELLED,
            "lapse": OrderStatus.CANCELLED,
        },
        OrderStatus.CONFIRMED: {"request_refund": OrderStatus.REFUND_REQUESTED},
        OrderStatus.REFUND_REQUESTED: {"approve_refund": OrderStatus.REFUNDED, "reject_refund": OrderStatus.CONFIRMED},
    },
)


class PaymentStatus(StrEnum):
    """Where the self-paid part is at the payment service. The ``…_pending`` states are work the
    database has decided but the service has not confirmed yet; ``reconcile-payments`` finishes them."""

    NONE = "none"  # nothing to pay by card (vouchers cover it all)
    AUTHORISED = "authorised"  # held on the card (manual capture)
    CAPTURE_PENDING = "capture_pending"  # the provider confirmed; the capture's outcome is not known yet
    CAPTURED = "captured"  # taken when the provider confirmed
    VOID_PENDING = "void_pending"
    VOIDED = "voided"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"


# H2 of the second security review: a capture whose answer is lost. ``capture_pending`` is recorded in a
# transaction of its own before the capture is sent; whatever happens next, the intent's real status at
# the payment service decides (``orders.reconcile._settle_payment``): a captured intent is refunded,
# never voided; a capture that did not happen goes back to ``authorised``; a hold the service let go
# cancels the order.
PAYMENT = StateMachine[PaymentStatus](
    "payment",
    {
        PaymentStatus.AUTHORISED: {"capture": PaymentStatus.CAPTURE_PENDING, "void": PaymentStatus.VOID_PENDING},
        PaymentStatus.CAPTURE_PENDING: {
            "captured": PaymentStatus.CAPTURED,
            "capture_declined": PaymentStatus.AUTHORISED,
            "capture_not_taken": PaymentStatus.AUTHORISED,
            "void": PaymentStatus.VOID_PENDING,
            "hold_lost": PaymentStatus.VOIDED,
        },
        PaymentStatus.CAPTURED: {"refund": PaymentStatus.REFUND_PENDING},
        PaymentStatus.VOID_PENDING: {"voided": PaymentStatus.VOIDED, "refund": PaymentStatus.REFUND_PENDING},
        PaymentStatus.REFUND_PENDING: {"refunded": PaymentStatus.REFUNDED, "voided": PaymentStatus.VOIDED},
    },
)

# Work the database has decided and the payment service has not confirmed yet: reconcile finishes it.
PENDING_PAYMENTS = (PaymentStatus.CAPTURE_PENDING, PaymentStatus.VOID_PENDING, PaymentStatus.REFUND_PENDING)


class CancellationReason(StrEnum):
    """Why the platform cancelled an order (a buyer's own cancel has none)."""

    CONFIRMATION_DEADLINE = "confirmation_deadline"  # not confirmed in time: card holds expire (Stripe: 7 days)
    CARD_HOLD_RELEASED = "card_hold_released"  # the payment service let the hold go before the capture


class AttemptStatus(StrEnum):
    """A checkout in steps: vouchers reserved → payment intents prepared → authorised → orders placed.
    Anything short of ``completed`` or ``failed`` after a while is a crashed attempt that
    ``reconcile-payments`` abandons (voids and releases)."""

    RESERVED = "reserved"
    PREPARED = "prepared"
    AUTHORISED = "authorised"
    COMPLETED = "completed"
    VOID_PENDING = "void_pending"  # failed, vouchers released, a card hold still to release
    FAILED = "failed"
    ABANDONED = "abandoned"


UNFINISHED_ATTEMPTS = (AttemptStatus.RESERVED, AttemptStatus.PREPARED, AttemptStatus.AUTHORISED)

# A checkout and ``reconcile-payments`` may both try to move one attempt (H1 of the second security
# review): every move is a compare-and-set on the status its mover last saw
# (``orders.attempts.move_attempt``), so exactly one of them wins and the other stops. Reconcile takes an
# unfinished attempt to ``void_pending`` (vouchers released) before it voids the holds, and only then
# calls it ``abandoned``; a checkout whose attempt was taken ends with an error and writes no order.
_GIVE_UP = {
    "fail_checkout": AttemptStatus.FAILED,  # voided, vouchers released
    "fail_checkout_holding": AttemptStatus.VOID_PENDING,  # vouchers released, a hold still to void
    "abandon_checkout": AttemptStatus.VOID_PENDING,
}  # reconcile took it; holds voided next
CHECKOUT_ATTEMPT = StateMachine[AttemptStatus](
    "checkout",
    {
        AttemptStatus.RESERVED: {
            "record_intents": AttemptStatus.PREPARED,
            "complete_checkout": AttemptStatus.COMPLETED,
            **_GIVE_UP,
        },
        AttemptStatus.PREPARED: {"record_authorisation": AttemptStatus.AUTHORISED, **_GIVE_UP},
        AttemptStatus.AUTHORISED: {"complete_checkout": AttemptStatus.COMPLETED, **_GIVE_UP},
        AttemptStatus.VOID_PENDING: {"finish_voids": AttemptStatus.FAILED, "finish_abandon": AttemptStatus.ABANDONED},
        # the abandoned checkout's own worker found a hold reconcile could not see yet and could not void it
        AttemptStatus.ABANDONED: {"hold_left_behind": AttemptStatus.VOID_PENDING},
    },
)


class VoucherStatus(StrEnum):
    """A contract voucher (Linyi, Liuzhou: ``orders.contract_vouchers``): applied for one order, reviewed
    at each of the scheme's stages, then (择优) ranked in the programme's round, granted (in its notice
    where the policy publishes grants first), issued with its number, redeemed by the provider's claim."""

    APPLIED = "applied"  # waiting for the first review stage
    IN_REVIEW = "in_review"  # passed a stage, waiting for the next
    REVIEWED = "reviewed"  # passed every stage, waiting for the programme's round (择优)
    IN_NOTICE = "in_notice"  # granted, published before it is issued
    ISSUED = "issued"  # numbered, valid, the order voucher-backed
    REDEEMED = "redeemed"  # the provider's claim of the order was paid
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"


CONTRACT_VOUCHER = StateMachine[VoucherStatus](
    "contract_voucher",
    {
        # "pass_stage": a stage approved with more to come; "pass_review": the last stage approved (the round waits);
        # "grant"/"publish_voucher": approved at the last stage or in the round, issued at once or after the notice
        VoucherStatus.APPLIED: {
            "pass_stage": VoucherStatus.IN_REVIEW,
            "pass_review": VoucherStatus.REVIEWED,
            "publish_voucher": VoucherStatus.IN_NOTICE,
            "issue_voucher": VoucherStatus.ISSUED,
            "refuse_voucher": VoucherStatus.REFUSED,
            "withdraw_voucher": VoucherStatus.WITHDRAWN,
        },
        VoucherStatus.IN_REVIEW: {
            "pass_stage": VoucherStatus.IN_REVIEW,
            "pass_review": VoucherStatus.REVIEWED,
            "publish_voucher": VoucherStatus.IN_NOTICE,
            "issue_voucher": VoucherStatus.ISSUED,
            "refuse_voucher": VoucherStatus.REFUSED,
            "withdraw_voucher": VoucherStatus.WITHDRAWN,
        },
        VoucherStatus.REVIEWED: {
            "publish_voucher": VoucherStatus.IN_NOTICE,
            "issue_voucher": VoucherStatus.ISSUED,
            "refuse_voucher": VoucherStatus.REFUSED,
            "withdraw_voucher": VoucherStatus.WITHDRAWN,
        },
        VoucherStatus.IN_NOTICE: {
            "issue_voucher": VoucherStatus.ISSUED,
            "refuse_voucher": VoucherStatus.REFUSED,
            "withdraw_voucher": VoucherStatus.WITHDRAWN,
        },
        VoucherStatus.ISSUED: {"redeem_voucher": VoucherStatus.REDEEMED, "lapse_voucher": VoucherStatus.LAPSED},
    },
)

# the statuses whose amount is still reserved from the budget (not yet in the order, not yet returned)
VOUCHER_HELD = (VoucherStatus.APPLIED, VoucherStatus.IN_REVIEW, VoucherStatus.REVIEWED, VoucherStatus.IN_NOTICE)
# the statuses whose amount is in the order (issued) or was redeemed: granted, whether used or not
VOUCHER_GRANTED = (VoucherStatus.ISSUED, VoucherStatus.REDEEMED)
