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
                _l(
                    "This is not possible while the %(subject)s is “%(status)s”.",
                    subject=label(self.name),
                    status=label(current),
                )
            ) from None


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"
    OPERATOR = "operator"
    AUTHORITY = "authority"
    FINANCE = "finance"  # 财政局: receives the authority's payment requests (拨付申请) and records the transfers


STAFF_ROLES = frozenset({Role.OPERATOR, Role.AUTHORITY, Role.FINANCE})
