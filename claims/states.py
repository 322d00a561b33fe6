"""Claim pipeline (第二十二条–第二十五条): draft → submitted to a settlement date → approved by the
operator, then by the authority → disbursed; rejected or withdrawn on the way."""

from __future__ import annotations

from enum import StrEnum

from shop.states import StateMachine


class ClaimStatus(StrEnum):
    """第二十二条–第二十五条: a provider's redemption claim. A draft is put together (orders and
    evidence), submitted to a settlement date, reviewed by the operator and then the authority, and
    paid out. A rejected claim frees its orders; a withdrawn draft too. A buyer's refund request takes
    its order out of a draft (第二十条: the refund window closes when the claim is submitted)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    OPERATOR_APPROVED = "operator_approved"
    APPROVED = "approved"
    DISBURSED = "disbursed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


CLAIM = StateMachine[ClaimStatus](
    "claim",
    {
        ClaimStatus.DRAFT: {
            "submit_claim": ClaimStatus.SUBMITTED,
            "withdraw_claim": ClaimStatus.WITHDRAWN,
            "add_document": ClaimStatus.DRAFT,
            "remove_document": ClaimStatus.DRAFT,
            "leave_for_refund": ClaimStatus.DRAFT,
        },
        ClaimStatus.SUBMITTED: {
            "operator_approve_claim": ClaimStatus.OPERATOR_APPROVED,
            "operator_reject_claim": ClaimStatus.REJECTED,
            "exclude_order": ClaimStatus.SUBMITTED,
            "roll_over": ClaimStatus.SUBMITTED,
            "deduct_order": ClaimStatus.SUBMITTED,
        },
        ClaimStatus.OPERATOR_APPROVED: {
            "authority_approve_claim": ClaimStatus.APPROVED,
            "authority_reject_claim": ClaimStatus.REJECTED,
            "query_claim": ClaimStatus.OPERATOR_APPROVED,
            "answer_query": ClaimStatus.OPERATOR_APPROVED,
            "deduct_order": ClaimStatus.OPERATOR_APPROVED,
        },
        # an approved claim may still be rejected while it is held (its provider or an enterprise of
        # its orders sanctioned: claims.services.claim_holds)
        ClaimStatus.APPROVED: {"disburse_claim": ClaimStatus.DISBURSED, "authority_reject_claim": ClaimStatus.REJECTED},
    },
)

# Once submitted, a claim's vouchers are "claimed" in the ledger until it is rejected or paid; these are
# the claims a settlement date has (its summary and export).
SUBMITTED_CLAIM_STATUSES = frozenset(
    {ClaimStatus.SUBMITTED, ClaimStatus.OPERATOR_APPROVED, ClaimStatus.APPROVED, ClaimStatus.DISBURSED}
)


class ClaimDocumentKind(StrEnum):
    """第二十二条: invoices, contracts, transfer records and evidence of the enterprise's use."""

    INVOICE = "invoice"
    CONTRACT = "contract"
    TRANSFER = "transfer"
    USAGE = "usage"
    # Liuzhou 第二十条/第二十一条 (``shop.presets.EVIDENCE_KINDS``)
    VOUCHER = "voucher"
    VOUCHER_APPLICATION = "voucher_application"
    SELF_PAYMENT = "self_payment"
    BANK_RECEIPT = "bank_receipt"
    COMPLETION = "completion"
    PROJECT_SUMMARY = "project_summary"


class RecoveryStatus(StrEnum):
    """追回 (Liuzhou 第二十三条, Baiyun 第二十条): what a paid claim's provider owes back (fraud, a voided
    voucher). Open until what it owes is repaid or set off against its next payment, then settled."""

    OPEN = "open"
    SETTLED = "settled"


RECOVERY = StateMachine[RecoveryStatus](
    "recovery",
    {
        RecoveryStatus.OPEN: {
            "record_repayment": RecoveryStatus.OPEN,
            "set_off_recovery": RecoveryStatus.OPEN,
            "settle_recovery": RecoveryStatus.SETTLED,
        },
    },
)


class RecoverySettlementKind(StrEnum):
    """How part of a recovery came back: a repayment the provider made, or a set-off against its next
    claim's payment."""

    REPAYMENT = "repayment"
    SET_OFF = "set_off"


class PaymentRequestStatus(StrEnum):
    """拨付申请: the authority sends the approved claims of a programme's settlement date to the finance
    bureau (财政局) of its jurisdiction, which records the transfer (every claim paid) or returns the
    request with a reason (its claims approved again, detached, to be sent anew)."""

    SENT = "sent"
    PAID = "paid"
    RETURNED = "returned_by_finance"  # ("returned" is the wallet's: an application returned for completion)


PAYMENT_REQUEST = StateMachine[PaymentRequestStatus](
    "payment_request",
    {
        PaymentRequestStatus.SENT: {
            "transfer_payment_request": PaymentRequestStatus.PAID,
            "return_payment_request": PaymentRequestStatus.RETURNED,
        },
    },
)
