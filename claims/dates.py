"""Which settlement dates a claim can go to: those of the programmes whose vouchers its orders spent
(their wallets' books), or every programme's for the settlement-date overview."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from claims.models import Claim
from wallet.models import Programme, SettlementDate


def settlement_dates(session: Session, programme_ids: list[int] | None = None) -> list[dt.date]:
    """Every programme's settlement dates, or those of ``programme_ids`` (a claim's programmes)."""
    stmt = select(SettlementDate.day).distinct().order_by(SettlementDate.day)
    if programme_ids is not None:
        stmt = stmt.where(SettlementDate.programme_id.in_(programme_ids))
    return list(session.scalars(stmt))


def programmes_of(session: Session, claim: Claim) -> list[int]:
    """The programmes whose vouchers a claim's orders spent (by their wallets' books): its settlement
    date is one of theirs."""
    books = {(item.voucher_book or str(item.voucher_year)).split("/", 1)[0] for item in claim.live_items}
    return list(session.scalars(select(Programme.id).where(Programme.book.in_(sorted(books))).order_by(Programme.id)))
