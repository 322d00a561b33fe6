"""Quota applications: pending (its amount reserved from the budget) → granted or rejected."""

from __future__ import annotations

from enum import StrEnum

from shop.states import StateMachine


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REJECTED = "rejected"


QUOTA_APPLICATION = StateMachine[ApplicationStatus](
    "quota_application",
    {
        ApplicationStatus.PENDING: {"grant": ApplicationStatus.GRANTED, "reject": ApplicationStatus.REJECTED},
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
    EXPIRED = "expired"  # unused at the end of the year
