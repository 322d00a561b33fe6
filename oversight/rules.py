"""Oversight rules (五, and the public notice of the other programmes) in plain Python: the masked
credit code of a public notice, the notice period, medians and rates for the reports. No Flask, no
database. The programme's figures (the prefectures, the 5 working days of a notice) are the policy's
(``shop.policy``); a rule that needs one takes it as a parameter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

# Oversight's own field limits (the reason and text limits every area shares are ``shop.inputs``'s):
# an objection's reason, an answer or a message has at least this many characters; a complaint's title
# at most this many.
REASON_MIN = 2
SUBJECT_MAX = 120


def mask_uscc(code: str | None) -> str:
    """The credit code as a public notice shows it: the registration authority and division (first 8
    characters) and the last 2, the organisation's own number hidden (``91520100****2X``)."""
    code = (code or "").strip()
    if len(code) < 10:
        return "****"
    return f"{code[:8]}****{code[-2:]}"


def in_notice(published_on: dt.date, ends_on: dt.date, today: dt.date) -> bool:
    """In notice from the publication day to the last day of the period, both included."""
    return published_on <= today <= ends_on


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def weeks(first: dt.date, last: dt.date) -> list[dt.date]:
    """The Mondays of every week from ``first``'s to ``last``'s (none when last < first)."""
    out, monday = [], week_start(first)
    while monday <= last:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


def median(values: Sequence[int]) -> int | None:
    """The median of whole numbers (seconds), rounded down to a whole number; None for no values.
    Given the one or two middle values only (what the database returns), it is their median too."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) // 2


def per_mille(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` in thousandths, rounded half up, in integers (None when whole is 0)."""
    if whole <= 0:
        return None
    return (part * 2000 + whole) // (2 * whole)


def format_per_mille(value: int | None) -> str:
    """``125`` → ``12.5%``; no value → an em dash."""
    if value is None:
        return "—"
    return f"{value // 10}.{value % 10}%"


def split_duration(seconds: int) -> tuple[int, int, int]:
    """Days, hours and minutes of a duration in seconds (rounded down to the minute)."""
    seconds = max(0, seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return days, hours, rest // 60
