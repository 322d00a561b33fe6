"""Words for people for the API's strings (statuses, kinds, roles); areas add their own."""
from __future__ import annotations

from typing import Any

from flask_babel.speaklater import LazyString

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
    "register": _l("Registered"),
    "submit_certification": _l("Submitted for certification"),
    "add_affiliation": _l("Affiliation added"),
    "remove_affiliation": _l("Affiliation removed"),
    "request_exit": _l("Exit requested"),
    "complete_exit": _l("Left the platform"),
    "create_staff": _l("Staff account created"),
    "revoke_token": _l("API token revoked"),
    "set_holiday": _l("Working day changed"),
    "delete_holiday": _l("Working-day change removed"),
    # subjects
    "organisation": _l("organisation"),
    "blacklist": _l("blacklist"),
    "user": _l("user account"),
    # decisions
    "approve": _l("Approve"),
    "reject": _l("Reject"),
}

# statuses that need someone's attention, shown in a warning colour
ATTENTION = {"under_review", "pending_certification", "exiting"}
BAD = {"rejected", "expelled", "exited", "suspended", "blacklisted"}


def _source(value: Any) -> Any:
    """What a label says before translation (a lazy string's message id)."""
    return (value._args, tuple(sorted(value._kwargs.items()))) if isinstance(value, LazyString) else value


def add(labels: dict[str, Any], attention: set[str] = frozenset(), bad: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Add an area's words. A key another area already named with different words is refused: one
    status shows the same words on every page."""
    for key, value in labels.items():
        if key in LABELS and _source(LABELS[key]) != _source(value):
            raise ValueError(f"label {key!r} is already {_source(LABELS[key])!r}, not {_source(value)!r}")
        LABELS.setdefault(key, value)
    ATTENTION.update(attention)
    BAD.update(bad)


def label(value: Any) -> Any:
    key = getattr(value, "value", value)
    return LABELS.get(key, key)


def tone(value: Any) -> str:
    key = getattr(value, "value", value)
    return "attention" if key in ATTENTION else "bad" if key in BAD else "good"
