"""The navigation of each role, with the count of what waits for the reader. Areas add their
entries with ``add``; a count is one aggregate query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    roles: frozenset[str]
    order: int = 50
    count: Callable[[Session, Any], int] | None = None


ITEMS: list[NavItem] = []


def add(
    endpoint: str,
    label: Any,
    roles: set[str] | frozenset[str],
    *,
    order: int = 50,
    count: Callable[[Session, Any], int] | None = None,
) -> None:
    if any(item.endpoint == endpoint for item in ITEMS):
        return
    ITEMS.append(NavItem(endpoint, label, frozenset(roles), order, count))
    ITEMS.sort(key=lambda i: i.order)


def items_for(role: str | None) -> list[NavItem]:
    key = role or "anonymous"
    return [item for item in ITEMS if key in item.roles]


# where a role lands after signing in when no page was asked for (the home page otherwise)
LANDINGS: dict[str, str] = {}


def land(role: str, endpoint: str) -> None:
    """An area names the page ``role`` lands on after signing in (the finance bureau: its payment requests)."""
    LANDINGS.setdefault(role, endpoint)


def landing_for(role: str | None) -> str:
    return LANDINGS.get(role or "", "shop.home")
