"""State pipelines as transition tables (the django-oscar way): a status moves only along an edge
of its table; anything else is refused with ``invalid_state``.

``StateMachine.next`` is pure; ``shop.audit.change_state`` applies a transition to a model and
writes its audit entry in the same transaction.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from shop.errors import InvalidState
from shop.i18n import _l

S = TypeVar("S", bound=StrEnum)


class StateMachine(Generic[S]):
    def __init__(self, name: str, table: Mapping[S, Mapping[str, S]]) -> None:
        self.name = name
        self.table = table

    def allowed(self, current: S) -> set[str]:
        return set(self.table.get(current, {}))

    def can(self, current: S, action: str) -> bool:
        return action in self.table.get(current, {})

    def next(self, current: S, action: str) -> S:
        try:
            return self.table[current][action]
        except KeyError:
            from shop.labels import label
            raise InvalidState(
                _l("This is not possible while the %(subject)s is “%(status)s”.",
                   subject=label(self.name), status=label(current))
            ) from None


class OrgKind(StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"


class OrgStatus(StrEnum):
    PENDING_CERTIFICATION = "pending_certification"
    UNDER_REVIEW = "under_review"
    CERTIFIED = "certified"
    REJECTED = "rejected"
    EXITING = "exiting"     # 第十二条: a provider's exit takes effect 30 days after the request
    EXITED = "exited"
    EXPELLED = "expelled"
    SUSPENDED = "suspended"  # the operator's sanction for a while (an end date) or until it reinstates


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"
    OPERATOR = "operator"
    AUTHORITY = "authority"


STAFF_ROLES = frozenset({Role.OPERATOR, Role.AUTHORITY})

# 第十条–第十四条: register → upload certification → operator approves or rejects (with a reason);
# a rejected organisation may submit again. Exit (第十二条) applies to providers. The operator
# sanctions any certified organisation: it suspends it (changing the reason or the end date is another
# "suspend"), reinstates it — a provider suspended during its exit notice goes back to leaving
# ("resume_exit") — or expels it for good.
ORGANISATION = StateMachine[OrgStatus]("organisation", {
    OrgStatus.PENDING_CERTIFICATION: {"submit_certification": OrgStatus.UNDER_REVIEW},
    OrgStatus.UNDER_REVIEW: {"approve": OrgStatus.CERTIFIED, "reject": OrgStatus.REJECTED,
                             "submit_certification": OrgStatus.UNDER_REVIEW},
    OrgStatus.REJECTED: {"submit_certification": OrgStatus.UNDER_REVIEW},
    OrgStatus.CERTIFIED: {"request_exit": OrgStatus.EXITING, "expel": OrgStatus.EXPELLED,
                          "suspend": OrgStatus.SUSPENDED},
    OrgStatus.EXITING: {"complete_exit": OrgStatus.EXITED, "expel": OrgStatus.EXPELLED,
                        "suspend": OrgStatus.SUSPENDED},
    OrgStatus.SUSPENDED: {"reinstate": OrgStatus.CERTIFIED, "resume_exit": OrgStatus.EXITING,
                          "suspend": OrgStatus.SUSPENDED, "expel": OrgStatus.EXPELLED},
})

# Organisations in these states act on the platform (buy, sell, claim for orders in progress).
ACTIVE_ORG_STATUSES = frozenset({OrgStatus.CERTIFIED, OrgStatus.EXITING})
