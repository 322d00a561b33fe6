"""The organisation's kinds and statuses and its transition table (第十条–第十四条)."""

from __future__ import annotations

from enum import StrEnum

from shop.states import StateMachine


class OrgKind(StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"


class OrgStatus(StrEnum):
    PENDING_CERTIFICATION = "pending_certification"
    UNDER_REVIEW = "under_review"
    CERTIFIED = "certified"
    REJECTED = "rejected"
    EXITING = "exiting"  # 第十二条: a provider's exit takes effect 30 days after the request
    EXITED = "exited"
    EXPELLED = "expelled"
    SUSPENDED = "suspended"  # the operator's sanction for a while (an end date) or until it reinstates


# 第十条–第十四条: register → upload certification → operator approves or rejects (with a reason);
# a rejected organisation may submit again. Exit (第十二条) applies to providers. The operator
# sanctions any certified organisation: it suspends it (changing the reason or the end date is another
# "suspend"), reinstates it — a provider suspended during its exit notice goes back to leaving
# ("resume_exit") — or expels it for good.
ORGANISATION = StateMachine[OrgStatus](
    "organisation",
    {
        OrgStatus.PENDING_CERTIFICATION: {"submit_certification": OrgStatus.UNDER_REVIEW},
        OrgStatus.UNDER_REVIEW: {
            "approve": OrgStatus.CERTIFIED,
            "reject": OrgStatus.REJECTED,
            "submit_certification": OrgStatus.UNDER_REVIEW,
        },
        OrgStatus.REJECTED: {"submit_certification": OrgStatus.UNDER_REVIEW},
        OrgStatus.CERTIFIED: {
            "request_exit": OrgStatus.EXITING,
            "expel": OrgStatus.EXPELLED,
            "suspend": OrgStatus.SUSPENDED,
        },
        OrgStatus.EXITING: {
            "complete_exit": OrgStatus.EXITED,
            "expel": OrgStatus.EXPELLED,
            "suspend": OrgStatus.SUSPENDED,
        },
        OrgStatus.SUSPENDED: {
            "reinstate": OrgStatus.CERTIFIED,
            "resume_exit": OrgStatus.EXITING,
            "suspend": OrgStatus.SUSPENDED,
            "expel": OrgStatus.EXPELLED,
        },
    },
)

# Organisations in these states act on the platform (buy, sell, claim for orders in progress).
ACTIVE_ORG_STATUSES = frozenset({OrgStatus.CERTIFIED, OrgStatus.EXITING})
