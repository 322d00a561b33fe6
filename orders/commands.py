"""What the cart, the checkout and the orders' use cases are asked to do, read once from a form or a JSON
body, and the filter of the orders' list, read from a query string.

Each command is a frozen dataclass whose ``from_input(data)`` checks every field and raises one
ValidationError with every fault (the pattern of ``shop.inputs.Decision``, which the provider's refund
decision uses as it is); pages call ``X.from_input(request.form)``, the API
``X.from_input(json_body())``, so both check a field the same way, and the use cases receive typed
values, never a raw mapping. ``OrderFilter.from_args`` is ``strict`` for the API (an unknown status is
refused) and lenient for the page's tabs (it lists every order instead).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from orders.states import OrderStatus
from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import Inputs

MAX_QUANTITY = 9999  # of one product in a cart line or a checkout line

MAX_LINES = 100  # lines in one checkout


# -- the cart ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLineInput:
    """A product to put in the cart, and how many (1 unless given)."""

    product_id: int
    quantity: int = 1

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        product_id = inputs.integer("product_id", minimum=1)
        quantity = inputs.integer("quantity", required=False, minimum=1, maximum=MAX_QUANTITY, default=1)
        inputs.check()
        return cls(product_id, quantity)


@dataclass(frozen=True)
class QuantityInput:
    """A cart line's new quantity; 0 removes the line."""

    quantity: int

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        quantity = inputs.integer("quantity", minimum=0, maximum=MAX_QUANTITY)
        inputs.check()
        return cls(quantity)


# -- the checkout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutRequest:
    """What the buyer asks for. ``expected_total_fen`` and ``expected_self_pay_fen`` are the amounts
    the buyer was shown and agreed to (the page always sends them; older API clients may not): when
    given, the checkout charges them or nothing (``price_changed``)."""

    lines: list[tuple[int, int]]
    use_vouchers: bool
    agreement_accepted: bool
    payment_method: str | None
    expected_total_fen: int | None = None
    expected_self_pay_fen: int | None = None
    wallet: str | None = None  # the wallet to spend (``wallet.spending``); None: the one expiring first

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> Self:
        """``{lines: [{product_id, quantity}], use_vouchers, agreement_accepted, payment_method,
        expected_total_fen?, expected_self_pay_fen?}``."""
        inputs = Inputs(data)
        raw_lines = data.get("lines")
        lines: list[tuple[int, int]] = []
        if not isinstance(raw_lines, list) or not raw_lines:
            inputs.error("lines", _l("Choose at least one product."))
        elif len(raw_lines) > MAX_LINES:
            inputs.error("lines", _l("At most %(n)d lines in one checkout.", n=MAX_LINES))
        else:
            seen: set[int] = set()
            for i, raw in enumerate(raw_lines):
                sub = Inputs(raw if isinstance(raw, Mapping) else {})
                product_id = sub.integer("product_id", minimum=1)
                quantity = sub.integer("quantity", minimum=1, maximum=MAX_QUANTITY)
                for name, messages in sub.errors.items():
                    for message in messages:
                        inputs.error(f"lines.{i}.{name}", message)
                if product_id in seen:
                    inputs.error(f"lines.{i}.product_id", _l("A product appears twice."))
                if product_id is not None and quantity is not None:
                    seen.add(product_id)
                    lines.append((product_id, quantity))
        use_vouchers = inputs.boolean("use_vouchers", default=True)
        agreement = inputs.boolean("agreement_accepted", default=False)
        payment_method = inputs.text("payment_method", required=False, max_length=100)
        expected_total = inputs.integer("expected_total_fen", required=False, minimum=0)
        expected_self_pay = inputs.integer("expected_self_pay_fen", required=False, minimum=0)
        wallet = inputs.text("wallet", required=False, max_length=80)
        inputs.check()
        return cls(lines, use_vouchers, agreement, payment_method, expected_total, expected_self_pay, wallet)

    def fingerprint(self, *, with_payment_method: bool) -> str:
        body: dict[str, Any] = {
            "lines": [[p, q] for p, q in self.lines],
            "use_vouchers": self.use_vouchers,
            "agreement_accepted": self.agreement_accepted,
        }
        if with_payment_method:
            body["payment_method"] = self.payment_method
        # only when given, so that a body without them keeps the fingerprint it always had
        for name in ("expected_total_fen", "expected_self_pay_fen"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# -- after the order ---------------------------------------------------------------------------------


# -- the orders' list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilter:
    """Orders of some statuses (``?status=placed,confirmed``), or all of them. ``status`` is the value
    as asked (the page's tabs compare it), ``statuses`` what it names. ``strict`` (the API) refuses a
    value that names no status; the page lists every order instead."""

    status: str | None = None
    statuses: tuple[OrderStatus, ...] = ()

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None, *, strict: bool = True) -> Self:
        status = (args or {}).get("status") or None
        if not status:
            return cls()
        values = {o.value for o in OrderStatus}
        statuses = tuple(OrderStatus(s) for s in status.split(",") if s in values)
        if statuses:
            return cls(status, statuses)
        if strict:
            raise ValidationError(
                {"status": [_l("Choose one of: %(choices)s.", choices=", ".join(o.value for o in OrderStatus))]}
            )
        return cls()
