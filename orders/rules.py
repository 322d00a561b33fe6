"""Checkout rules (第十八条–第二十一条), in plain Python: the voucher share of each line and the split
of a cart into one order per provider."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# the one rounding site of the programme (floor to the fen), shared with the catalogue's display
from shop.policy import voucher_share_fen


@dataclass(frozen=True)
class LineInput:
    """A cart line as the checkout prices it."""

    product_id: int
    version_id: int
    provider_id: int
    layer: str
    unit_price_fen: int
    quantity: int
    accepts_vouchers: bool
    category: str = ""  # a ratio set for the category (a scheme's) comes before its layer's

    @property
    def amount_fen(self) -> int:
        return self.unit_price_fen * self.quantity


@dataclass(frozen=True)
class PricedLine:
    line: LineInput
    amount_fen: int
    voucher_fen: int

    @property
    def total_fen(self) -> int:
        return self.amount_fen

    @property
    def self_pay_fen(self) -> int:
        return self.amount_fen - self.voucher_fen


class Amounts:
    """The total, voucher and self-paid parts of something made of ``parts`` that have them
    (lines of an order, orders of a checkout)."""

    @property
    def parts(self) -> Sequence[Any]:
        return self.lines  # type: ignore[attr-defined]

    @property
    def total_fen(self) -> int:
        return sum(part.total_fen for part in self.parts)

    @property
    def voucher_fen(self) -> int:
        return sum(part.voucher_fen for part in self.parts)

    @property
    def self_pay_fen(self) -> int:
        return self.total_fen - self.voucher_fen


@dataclass
class OrderPlan(Amounts):
    """One order per provider (each order is one contract)."""

    provider_id: int
    lines: list[PricedLine] = field(default_factory=list)


def allocate_vouchers(
    lines: Sequence[LineInput],
    *,
    ratios: Mapping[str, int],
    available_fen: int,
    use_vouchers: bool,
    affiliated_provider_ids: Iterable[int] = (),
) -> list[PricedLine]:
    """Each line's voucher share, served in the order given until the wallet runs out. No vouchers
    for a product that takes none, for a provider affiliated with the buyer, or when the buyer
    chooses to pay everything (or has no quota left: it buys at its own expense)."""
    affiliated = set(affiliated_provider_ids)
    remaining = max(0, available_fen) if use_vouchers else 0
    priced = []
    for line in lines:
        if line.quantity <= 0 or line.unit_price_fen < 0:
            raise ValueError("quantities are positive and prices not negative")
        amount = line.amount_fen
        eligible = line.accepts_vouchers and line.provider_id not in affiliated
        share = voucher_share_fen(amount, ratios.get(line.category, ratios.get(line.layer, 0)), eligible)
        voucher = min(share, remaining)
        remaining -= voucher
        priced.append(PricedLine(line, amount, voucher))
    return priced


def split_by_provider(priced: Sequence[PricedLine]) -> list[OrderPlan]:
    """Orders in the order their providers first appear in the cart."""
    plans: dict[int, OrderPlan] = {}
    for line in priced:
        plans.setdefault(line.line.provider_id, OrderPlan(line.line.provider_id)).lines.append(line)
    return list(plans.values())


def confirmation_deadline(placed_at: dt.datetime, deadline_days: int) -> dt.datetime:
    """When an unconfirmed order is cancelled: ``deadline_days`` after it was placed, before the card
    hold lapses (Stripe: 7 days)."""
    return placed_at + dt.timedelta(days=deadline_days)


def time_left(deadline: dt.datetime, now: dt.datetime) -> tuple[int, int] | None:
    """Whole days and hours until ``deadline``, or None once it has passed."""
    if now >= deadline:
        return None
    hours = int((deadline - now).total_seconds()) // 3600
    return hours // 24, hours % 24


# -- contract vouchers (Linyi, Liuzhou) -----------------------------------------------------------


def contract_voucher_amount(total_fen: int, ratio: int, cap_fen: int, yearly_left_fen: int | None) -> int:
    """What a contract voucher gives for an order of ``total_fen``: ``ratio`` percent of it (floored to
    the fen), at most the scheme's cap (by tier) and what the enterprise's yearly total has left."""
    amount = min(voucher_share_fen(total_fen, ratio), cap_fen)
    if yearly_left_fen is not None:
        amount = min(amount, yearly_left_fen)
    return max(amount, 0)


@dataclass(frozen=True)
class RoundEntry:
    """An application of a ranked round (择优): its score, when it was applied for, its amount."""

    voucher_id: int
    score: int
    applied_at: dt.datetime
    amount_fen: int


def rank_round(entries: Iterable[RoundEntry], budget_fen: int) -> tuple[list[int], list[int]]:
    """择优, 额满即止 (Liuzhou 第十三条/第十四条): the applications ranked by score (highest first; a tie goes
    to the earlier application, then the lower id), granted in rank order while the budget covers each
    whole amount; the first one it does not cover and every one after it are not granted (the budget is
    used: no lower-ranked application passes one that did not fit). Returns (granted, not granted) ids."""
    ranked = sorted(entries, key=lambda e: (-e.score, e.applied_at, e.voucher_id))
    granted: list[int] = []
    refused: list[int] = []
    left = budget_fen
    for entry in ranked:
        if not refused and entry.amount_fen <= left:
            granted.append(entry.voucher_id)
            left -= entry.amount_fen
        else:
            refused.append(entry.voucher_id)
    return granted, refused
