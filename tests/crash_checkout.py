"""Run one checkout in a process of its own, to be killed at a crash point (``YUNQUAN_CRASH_AT``).

python -m tests.crash_checkout DATABASE_URL STRIPE_API_BASE USER_ID PAYMENT_METHOD PRODUCT_ID[:QTY]...
"""

from __future__ import annotations

import sys

from orders import checkout as checkouts
from orders.payments import StripeGateway
from shop.accounts import User
from shop.db import make_engine, make_session_factory
from shop.model_registry import import_all_models


def main(argv: list[str]) -> int:
    url, api_base, user_id, payment_method, *lines = argv[1:]
    import_all_models()
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        user = session.get(User, int(user_id))
        request = checkouts.CheckoutRequest(
            [(int(p), int(q)) for p, _, q in (line.partition(":") for line in lines)], True, True, payment_method
        )
        checkouts.checkout(session, user, request, gateway=StripeGateway("sk_test_yunquan", api_base=api_base))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
