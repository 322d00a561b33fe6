"""Demo orders for ``make run`` (idempotent)."""
from __future__ import annotations

from sqlalchemy.orm import Session


def seed_orders(session: Session) -> None:
    """Filled in below with the checkout's demo data."""
