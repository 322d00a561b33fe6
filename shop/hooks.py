"""Seams between areas that must not import each other.

The catalogue shows each layer's voucher share, which the year's programme (``wallet``) sets; the
catalogue may not import the wallet. The wallet registers its source here in ``init_app`` and the
catalogue asks ``layer_ratios``; until a programme exists the policy's default ratios apply (第十六条;
``shop.policy``).

Every state change is recorded in the audit trail (``shop.audit.record``): an area that must act on
another area's events (oversight publishes a quota grant or a disbursement for public notice the
moment it happens) listens to the trail with ``on_audit`` instead of being called by that area. A
listener runs inside the recording transaction, so what it writes commits or rolls back with the
change itself; it must be quick to ignore the entries it does not care about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from shop import policy


class Ratios(dict[str, int]):
    """Percent of a line's amount vouchers may pay, per layer, and the product categories the wallet
    pays for (empty: every category): ``of(layer, category)`` is what a product gets."""

    def __init__(self, ratios: Mapping[str, int], categories: tuple[str, ...] = ()) -> None:
        super().__init__(ratios)
        self.categories = tuple(categories)

    def of(self, layer: str, category: str) -> int:
        if self.categories and category not in self.categories:
            return 0
        return self.get(category, self.get(layer, 0))


RatioSource = Callable[[Session, int], Mapping[str, int] | None]
BuyerRatioSource = Callable[[Session, int, dt.date], Ratios | None]
_ratio_source: RatioSource | None = None
_buyer_ratio_source: BuyerRatioSource | None = None


def set_ratio_source(source: RatioSource) -> None:
    global _ratio_source
    _ratio_source = source


def layer_ratios(session: Session, year: int) -> Ratios:
    """Percent of a line's amount that vouchers may pay, per layer, for ``year`` (the province-wide
    programme's)."""
    if _ratio_source is not None:
        ratios = _ratio_source(session, year)
        if ratios:
            return Ratios(ratios)
    return Ratios({layer.value: ratio for layer, ratio in policy.current().default_ratios.items()})


def set_buyer_ratio_source(source: BuyerRatioSource) -> None:
    global _buyer_ratio_source
    _buyer_ratio_source = source


def buyer_ratios(session: Session, organisation_id: int, today: dt.date) -> Ratios:
    """What the enterprise's checkout would pay by vouchers today: the ratios of the wallet it would
    spend by default (the wallet registers the source), else the year's."""
    if _buyer_ratio_source is not None:
        ratios = _buyer_ratio_source(session, organisation_id, today)
        if ratios is not None:
            return ratios
    return layer_ratios(session, today.year)


AuditListener = Callable[[Session, Any], None]
_audit_listeners: list[AuditListener] = []


def on_audit(listener: AuditListener) -> None:
    """Call ``listener(session, entry)`` after each audit entry is recorded (once per listener)."""
    if listener not in _audit_listeners:
        _audit_listeners.append(listener)


def audit_recorded(session: Session, entry: Any) -> None:
    for listener in list(_audit_listeners):
        listener(session, entry)
