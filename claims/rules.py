"""Claim rules (第二十二条–第二十五条), in plain Python: the evidence a claim needs, its settlement
date, invoice numbers as printed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def settlement_date_for(day: dt.date, settlement_dates: Iterable[dt.date]) -> dt.date | None:
    """第二十三条: the operator collects claims at each settlement date; a claim goes to the first
    date on or after ``day`` (its submission, or today for one that missed its date), or to none
    when the authority has set no later date yet."""
    later = [d for d in settlement_dates if d >= day]
    return min(later) if later else None


def missing_claim_documents(kinds: Iterable[str], required: Iterable[str]) -> list[str]:
    """The kinds of evidence a claim still lacks: at least one of each kind ``required`` (the policy's
    evidence kinds) is needed to submit."""
    present = set(kinds)
    return [kind for kind in required if kind not in present]


def normalise_invoice_number(raw: str) -> str:
    """Invoice numbers as printed, without the spaces and dashes people type between groups."""
    return "".join(ch for ch in raw.upper() if ch not in " -_\u3000")
