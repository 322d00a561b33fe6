"""Cart, checkout, orders and refunds (issue 5) and redemption claims (issue 6). Registered by
``shop.create_app``."""
from __future__ import annotations

import importlib

from flask import Flask


def init_app(app: Flask) -> None:
    from orders import reconciliation
    from orders import web as orders_web
    orders_web.init_app(app)
    reconciliation.register()   # ledger-verify holds the wallets against the orders and claims
    try:
        claim_views = importlib.import_module("orders.claim_views")
    except ModuleNotFoundError as exc:  # the claims land with issue 6
        if exc.name != "orders.claim_views":
            raise
    else:
        claim_views.init_app(app)
