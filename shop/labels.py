"""Words for people for the API's strings (roles, the foundation's actions and subjects); areas add
their own with ``add`` in their ``init_app``."""

from __future__ import annotations

from typing import Any

from flask_babel.speaklater import LazyString

from shop.i18n import _l

LABELS: dict[str, Any] = {
    # roles (an organisation's kind is the role of its members)
    "enterprise": _l("Enterprise"),
    "provider": _l("Cloud provider"),
    "operator": _l("Operator"),
    "authority": _l("Authority"),
    "finance": _l("Finance bureau"),
    # the foundation's actions
    "create_staff": _l("Staff account created"),
    "revoke_token": _l("API token revoked"),
    "set_holiday": _l("Working day changed"),
    "delete_holiday": _l("Working-day change removed"),
    # subjects
    "user": _l("user account"),
    # decisions
    "approve": _l("Approve"),
    "reject": _l("Reject"),
}

# statuses that need someone's attention, shown in a warning colour
ATTENTION: set[str] = set()
BAD: set[str] = set()


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
