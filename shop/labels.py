"""Words for people for the API's strings (statuses, kinds, roles); areas add their own."""
from __future__ import annotations

from typing import Any

from shop.i18n import _l

LABELS: dict[str, Any] = {
    # organisation kinds and roles
    "enterprise": _l("Enterprise"),
    "provider": _l("Cloud provider"),
    "operator": _l("Operator"),
    "authority": _l("Authority"),
    # organisation statuses
    "pending_certification": _l("Awaiting documents"),
    "under_review": _l("Under review"),
    "certified": _l("Certified"),
    "rejected": _l("Rejected"),
    "exiting": _l("Leaving"),
    "exited": _l("Left"),
    "expelled": _l("Expelled"),
    "suspended": _l("Suspended"),
    # sanctions (shop.services.sanction_of) and their actions
    "blacklisted": _l("On the blacklist"),
    "suspend": _l("Suspended"),
    "reinstate": _l("Reinstated"),
    "resume_exit": _l("Reinstated, still leaving"),
    "expel": _l("Expelled"),
    "add_to_blacklist": _l("Put on the blacklist"),
    "remove_from_blacklist": _l("Taken off the blacklist"),
    # subjects
    "organisation": _l("organisation"),
    # decisions
    "approve": _l("Approve"),
    "reject": _l("Reject"),
}

# statuses that need someone's attention, shown in a warning colour
ATTENTION = {"under_review", "pending_certification", "exiting"}
BAD = {"rejected", "expelled", "exited", "suspended", "blacklisted"}


def add(labels: dict[str, Any], attention: set[str] = frozenset(), bad: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for key, value in labels.items():
        LABELS.setdefault(key, value)
    ATTENTION.update(attention)
    BAD.update(bad)


def label(value: Any) -> Any:
    key = getattr(value, "value", value)
    return LABELS.get(key, key)


def tone(value: Any) -> str:
    key = getattr(value, "value", value)
    return "attention" if key in ATTENTION else "bad" if key in BAD else "good"
