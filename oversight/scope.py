"""What a report covers: a year, every programme of it or one programme (its budget books, the orders
and claim items paid from its wallets, its applications), and for staff of a jurisdiction only the
programmes under it (``choose``). Plain SQL conditions for the report's aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from claims.models import ClaimItem
from orders.models import Order
from shop.errors import NotFound
from shop.i18n import _l
from wallet.models import LedgerAccount, Programme, QuotaApplication


@dataclass(frozen=True)
class Scope:
    year: int
    programme: Programme | None = None  # None: every programme of the year

    @property
    def year_wide(self) -> bool:
        """The province-wide programme of the year: its wallets are the year's (no book stored)."""
        return self.programme is not None and self.programme.book == str(self.year)

    def _books(self, column: Any) -> Any:
        if self.programme is None:
            return true()
        if self.year_wide:
            return column.is_(None)
        return column.startswith(f"{self.programme.book}/")

    def orders(self) -> Any:
        return (Order.voucher_year == self.year) & self._books(Order.voucher_book)

    def orders_placed(self) -> Any:
        """Orders of any voucher year paid from the programme's wallets (every order without one)."""
        return self._books(Order.voucher_book) if self.programme is not None else true()

    def claim_items(self) -> Any:
        return (ClaimItem.voucher_year == self.year) & self._books(ClaimItem.voucher_book)

    def accounts(self) -> Any:
        if self.programme is None:
            return LedgerAccount.year == self.year
        book = self.programme.book
        return or_(
            LedgerAccount.book == book,
            LedgerAccount.book.startswith(f"{book}/"),
            LedgerAccount.book.startswith(f"{book}@"),
        )

    def applications(self) -> Any:
        if self.programme is None:
            return QuotaApplication.year == self.year
        return QuotaApplication.programme_id == self.programme.id


def choose(session: Session, year: int, code: str | None, jurisdiction: str | None) -> Scope:
    """The scope a staff user asks for: the programme ``code`` (not found outside the user's
    jurisdiction), or without one the whole year — for staff of a jurisdiction, the first programme of
    the year under it (a district's authority reports on its own programme)."""
    if code:
        programme = session.scalars(select(Programme).where(Programme.code == code)).one_or_none()
        if programme is None or not _under(programme, jurisdiction):
            raise NotFound(_l("There is no programme %(code)s.", code=code))
        return Scope(programme.year, programme)
    if jurisdiction is None:
        return Scope(year)
    mine = [
        p
        for p in session.scalars(select(Programme).where(Programme.year == year).order_by(Programme.id))
        if _under(p, jurisdiction)
    ]
    if not mine:
        raise NotFound(_l("No programme of %(year)d lies in your jurisdiction.", year=year))
    return Scope(year, mine[0])


def _under(programme: Programme, jurisdiction: str | None) -> bool:
    return jurisdiction is None or programme.jurisdiction.startswith(jurisdiction)


# -- what the pages pick a year from ------------------------------------------------------------------


def programme_years(session: Session) -> list[int]:
    """The years that have a programme, newest first."""
    return list(session.scalars(select(Programme.year).distinct().order_by(Programme.year.desc())))


def find_programme(session: Session, year: int) -> Programme | None:
    """The year's programme (the province-wide one, else the first of the year), or None when no
    authority has opened one (the figures are empty)."""
    return session.scalars(
        select(Programme)
        .where(Programme.year == year)
        .order_by((Programme.book == str(year)).desc(), Programme.id)
        .limit(1)
    ).first()
