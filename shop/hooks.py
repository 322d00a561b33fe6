"""Seams between areas that must not import each other.

The catalogue shows each layer's voucher share, which the year's programme (``wallet``) sets; the
catalogue may not import the wallet. The wallet registers its source here in ``init_app`` and the
catalogue asks ``layer_ratios``; until a programme exists the Guizhou figures apply (第十六条:
infrastructure 40%, platform 60%, application 60%).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

GUIZHOU_LAYER_RATIOS: dict[str, int] = {"infrastructure": 40, "platform": 60, "application": 60}

RatioSource = Callable[[Session, int], Mapping[str, int] | None]
_ratio_source: RatioSource | None = None


def set_ratio_source(source: RatioSource) -> None:
    global _ratio_source
    _ratio_source = source


def layer_ratios(session: Session, year: int) -> dict[str, int]:
    """Percent of a line's amount that vouchers may pay, per layer, for ``year``."""
    if _ratio_source is not None:
        ratios = _ratio_source(session, year)
        if ratios:
            return dict(ratios)
    return dict(GUIZHOU_LAYER_RATIOS)
