"""Import every model module so that ``Base.metadata`` knows all tables (for Alembic and tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "shop.accounts",
    "shop.calendar",
    "shop.audit",
    "shop.exports",
    "orgs.models",
    "catalog.models",
    "wallet.models",
    "orders.models",
    "orders.voucher_models",
    "claims.models",
    "claims.recovery_models",
    "oversight.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
