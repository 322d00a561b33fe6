"""Use cases of carts, checkout, orders and refunds (第十八条–第二十一条)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from orders.models import Order

# Checks a refund request must pass besides the order's status, registered by other parts of this
# area: each returns a message saying why the order cannot be refunded, or None. The claims
# register "the order is in a live claim (a draft counts)".
REFUND_GUARDS: list[Callable[[Session, Order], object | None]] = []
