"""Pricing a cart (第十八条–第十九条): the quote (each line's voucher share, one order per provider, the
total, voucher and self-paid parts) and whether the amounts the buyer agreed to are still those the
checkout would charge (``price_change``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalog import queries
from catalog.models import Product, ProductVersion
from orders.rules import Amounts, LineInput, OrderPlan, PricedLine, allocate_vouchers, split_by_provider
from orgs.affiliations import affiliated_ids
from orgs.models import Organisation
from shop import clock
from shop.errors import DomainError
from shop.i18n import _l
from shop.money import format_fen
from wallet import spending

if TYPE_CHECKING:
    from orders.commands import CheckoutRequest


@dataclass
class QuotedLine:
    product: Product
    version: ProductVersion
    quantity: int
    amount_fen: int
    voucher_fen: int
    affiliated: bool

    @property
    def total_fen(self) -> int:
        return self.amount_fen

    @property
    def self_pay_fen(self) -> int:
        return self.amount_fen - self.voucher_fen


@dataclass
class QuotedOrder(Amounts):
    provider: Organisation
    lines: list[QuotedLine] = field(default_factory=list)


@dataclass
class Quote(Amounts):
    """What a cart costs now: one order per provider, each line's voucher share and self-paid part,
    the wallet before and after."""

    year: int
    orders: list[QuotedOrder]
    unavailable: list[int]
    available_fen: int
    use_vouchers: bool
    ratios: dict[str, int]
    wallet: str = ""  # the key of the wallet spent (``wallet.spending.WalletChoice.key``)
    policy_version: int | None = None  # of the grant whose wallet is spent (None: the year's programme)

    @property
    def parts(self) -> list[QuotedOrder]:
        return self.orders

    @property
    def available_after_fen(self) -> int:
        return self.available_fen - self.voucher_fen

    def as_json(self) -> dict[str, Any]:
        """The amounts and, per provider, the orders the checkout would place (the checkout's
        ``orders`` without what only a placed order has)."""
        return {
            "total_fen": self.total_fen,
            "voucher_fen": self.voucher_fen,
            "self_pay_fen": self.self_pay_fen,
            "use_vouchers": self.use_vouchers,
            "wallet": self.wallet,
            "orders": [
                {
                    "provider_id": o.provider.id,
                    "total_fen": o.total_fen,
                    "voucher_fen": o.voucher_fen,
                    "self_pay_fen": o.self_pay_fen,
                    "lines": [
                        {
                            "product_id": line.product.id,
                            "version_id": line.version.id,
                            "quantity": line.quantity,
                            "unit_price_fen": line.version.price_fen,
                            "amount_fen": line.amount_fen,
                            "voucher_fen": line.voucher_fen,
                        }
                        for line in o.lines
                    ],
                }
                for o in self.orders
            ],
        }

    def plan(self) -> list[dict[str, Any]]:
        """The plan stored with the checkout attempt (plain JSON)."""
        return [
            {
                "provider_id": o.provider.id,
                "total_fen": o.total_fen,
                "voucher_fen": o.voucher_fen,
                "self_pay_fen": o.self_pay_fen,
                "voucher_policy_version": self.policy_version,
                "lines": [
                    {
                        "product_id": line.product.id,
                        "version_id": line.version.id,
                        "layer": line.version.layer.value,
                        "category": line.version.category.value,
                        "unit_price_fen": line.version.price_fen,
                        "quantity": line.quantity,
                        "amount_fen": line.amount_fen,
                        "voucher_fen": line.voucher_fen,
                    }
                    for line in o.lines
                ],
            }
            for o in self.orders
        ]


def quote(
    session: Session,
    enterprise_id: int,
    lines: Sequence[tuple[int, int]],
    *,
    use_vouchers: bool,
    available_fen: int | None = None,
    wallet: str | None = None,
) -> Quote:
    """Price ``lines`` (product id, quantity) for the enterprise as the checkout would now, spending
    the wallet ``wallet`` names (by default the one that expires first: ``wallet.spending``)."""
    choice = spending.choose(session, enterprise_id, clock.today(), wallet)
    year = choice.book.year
    versions = queries.versions_on_sale(session, [p for p, _ in lines])
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(Product.id.in_(list(versions))).options(joinedload(Product.provider))
        )
    }
    unavailable = [p for p, _ in lines if p not in versions]
    ratios = choice.ratios
    affiliated = affiliated_ids(session, enterprise_id)
    if available_fen is None:
        available_fen = choice.available_fen
    inputs = [
        LineInput(
            p,
            versions[p].id,
            products[p].provider_id,
            versions[p].layer.value,
            versions[p].price_fen,
            q,
            versions[p].accepts_vouchers and choice.covers(versions[p].category.value),
            versions[p].category.value,
        )
        for p, q in lines
        if p in versions
    ]
    priced: list[PricedLine] = allocate_vouchers(
        inputs,
        ratios=ratios,
        available_fen=available_fen,
        use_vouchers=use_vouchers,
        affiliated_provider_ids=affiliated,
    )
    plans: list[OrderPlan] = split_by_provider(priced)
    orders = []
    for plan in plans:
        quoted = QuotedOrder(products[plan.lines[0].line.product_id].provider)
        for p in plan.lines:
            quoted.lines.append(
                QuotedLine(
                    products[p.line.product_id],
                    versions[p.line.product_id],
                    p.line.quantity,
                    p.amount_fen,
                    p.voucher_fen,
                    p.line.provider_id in affiliated,
                )
            )
        orders.append(quoted)
    return Quote(year, orders, unavailable, available_fen, use_vouchers, ratios, choice.key, choice.policy_version)


def price_change(request: CheckoutRequest, priced: Quote) -> DomainError | None:
    """``price_changed`` with the current quote when the amounts the buyer was shown are not those
    the checkout would charge now (a price changed by review, a voucher toggle the page did not
    apply, vouchers spent in another tab), else None. Only the amounts given are compared."""
    total_differs = request.expected_total_fen is not None and request.expected_total_fen != priced.total_fen
    self_pay_differs = (
        request.expected_self_pay_fen is not None and request.expected_self_pay_fen != priced.self_pay_fen
    )
    if not (total_differs or self_pay_differs):
        return None
    amounts = {
        "total": format_fen(priced.total_fen),
        "self_pay": format_fen(priced.self_pay_fen),
        "shown_total": format_fen(request.expected_total_fen),
        "shown_self_pay": format_fen(request.expected_self_pay_fen),
    }
    if total_differs and self_pay_differs:
        detail = _l(
            "The amounts changed since they were shown to you: the total is now %(total)s (you were shown "
            "%(shown_total)s) and the card pays %(self_pay)s (you were shown %(shown_self_pay)s). Nothing was "
            "charged and no voucher was used. Check the new amounts and confirm again.",
            **amounts,
        )
    elif total_differs:
        detail = _l(
            "The amounts changed since they were shown to you: the total is now %(total)s (you were shown "
            "%(shown_total)s). Nothing was charged and no voucher was used. Check the new amounts and "
            "confirm again.",
            **amounts,
        )
    else:
        detail = _l(
            "The amounts changed since they were shown to you: the card pays %(self_pay)s (you were shown "
            "%(shown_self_pay)s). Nothing was charged and no voucher was used. Check the new amounts and "
            "confirm again.",
            **amounts,
        )
    return DomainError("price_changed", detail, extra={"quote": priced.as_json()})
