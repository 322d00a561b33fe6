"""Oversight pipelines (五, 数据铁笼): complaints the operator tracks, objections to public notices.

Public notice entries have no status of their own: an entry is "in notice" from its publication day
to the end of its notice period (``rules.in_notice``), then in the archive.
"""

from __future__ import annotations

from enum import StrEnum

from shop.states import StateMachine


class NoticeKind(StrEnum):
    """What a public notice (公示) entry publishes."""

    QUOTA_GRANT = "quota_grant"  # an enterprise's voucher quota for the year
    DISBURSEMENT = "disbursement"  # public money paid to a provider for a redemption claim


class ObjectionStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


# An objection (异议) lodged during the notice period is answered by the operator; both are kept.
OBJECTION = StateMachine[ObjectionStatus](
    "objection",
    {
        ObjectionStatus.OPEN: {"answer_objection": ObjectionStatus.ANSWERED},
    },
)


class ComplaintStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class ComplaintKind(StrEnum):
    SERVICE_QUALITY = "service_quality"  # the agreed service level is not delivered
    DELIVERY = "delivery"  # not opened, late, or not as described
    BILLING = "billing"  # price, payment, refund
    OTHER = "other"


# 五: enterprises' complaints are tracked. The operator takes a complaint up and resolves it; until it
# is resolved the enterprise, the provider and the operator reply to it.
COMPLAINT = StateMachine[ComplaintStatus](
    "complaint",
    {
        ComplaintStatus.OPEN: {
            "take_up_complaint": ComplaintStatus.IN_PROGRESS,
            "reply_to_complaint": ComplaintStatus.OPEN,
        },
        ComplaintStatus.IN_PROGRESS: {
            "resolve_complaint": ComplaintStatus.RESOLVED,
            "reply_to_complaint": ComplaintStatus.IN_PROGRESS,
        },
    },
)

UNRESOLVED = frozenset({ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS})
