"""Quota applications: pending (its amount reserved from the budget) → granted or rejected; where the
policy says so, returned for completion first, or published (in notice) before the grant takes
effect, and held while a 复核 (reconsideration) is open."""

from __future__ import annotations

from enum import StrEnum

from shop.states import StateMachine


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    RETURNED = "returned"  # sent back for completion (Baiyun: within 3 working days)
    IN_NOTICE = "in_notice"  # granted, published, not yet in effect
    ON_HOLD = "on_hold"  # a 复核 against the grant is open
    GRANTED = "granted"
    REJECTED = "rejected"


QUOTA_APPLICATION = StateMachine[ApplicationStatus](
    "quota_application",
    {
        ApplicationStatus.PENDING: {
            "grant": ApplicationStatus.GRANTED,
            "reject": ApplicationStatus.REJECTED,
            "publish": ApplicationStatus.IN_NOTICE,
            "return": ApplicationStatus.RETURNED,
            # evidence of its facts, until the decision
            "add_application_document": ApplicationStatus.PENDING,
        },
        ApplicationStatus.RETURNED: {
            "complete": ApplicationStatus.PENDING,
            "lapse": ApplicationStatus.REJECTED,
            "add_application_document": ApplicationStatus.RETURNED,
        },
        ApplicationStatus.IN_NOTICE: {"issue": ApplicationStatus.GRANTED, "hold": ApplicationStatus.ON_HOLD},
        ApplicationStatus.ON_HOLD: {"uphold": ApplicationStatus.REJECTED, "dismiss": ApplicationStatus.IN_NOTICE},
    },
)


class AccountKind(StrEnum):
    """Where vouchers are. The source is the public purse (the only account that goes negative)."""

    SOURCE = "source"
    BUDGET = "budget"  # the programme's budget not yet reserved
    RESERVED = "reserved"  # held for a pending application
    AVAILABLE = "available"  # an enterprise's wallet
    IN_ORDERS = "in_orders"  # held by checkouts and orders
    CLAIMED = "claimed"  # in a provider's redemption claim
    DISBURSED = "disbursed"  # paid out to the provider
    RECOVERING = "recovering"  # paid out, owed back by the provider (追回) until repaid or set off
    EXPIRED = "expired"  # unused at the end of the year
