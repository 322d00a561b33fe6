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
from orgs.models import Organisation
from shop.errors import NotFound
from shop.i18n import _l
from shop.jurisdictions import covers
from wallet.models import LedgerAccount, Programme, QuotaApplication


@dataclass(frozen=True)
class Scope:
    year: int
    programme: Programme | None = None  # None: every programme of the year
    # staff of a city inside a wider programme (Guiyang's in Guizhou's): the part of that programme
    # under their jurisdiction — its enterprises' grants, wallets and orders, and the city's budget block
    region: str | None = None

    def _enterprises(self) -> Any:
        return select(Organisation.id).where(Organisation.region_code.startswith(self.region or ""))

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

    def _in_region(self, column: Any) -> Any:
        return column.in_(self._enterprises()) if self.region else true()

    def orders(self) -> Any:
        return (
            (Order.voucher_year == self.year) & self._books(Order.voucher_book) & self._in_region(Order.enterprise_id)
        )

    def orders_placed(self) -> Any:
        """Orders of any voucher year paid from the programme's wallets (every order without one)."""
        if self.programme is None:
            return true()
        return self._books(Order.voucher_book) & self._in_region(Order.enterprise_id)

    def claim_items(self) -> Any:
        return (
            (ClaimItem.voucher_year == self.year)
            & self._books(ClaimItem.voucher_book)
            & self._in_region(ClaimItem.enterprise_id)
        )

    def accounts(self) -> Any:
        if self.programme is None:
            return LedgerAccount.year == self.year
        book = self.programme.book
        if self.region:
            wallets = LedgerAccount.book == book if self.year_wide else LedgerAccount.book.startswith(f"{book}/")
            return (wallets & LedgerAccount.organisation_id.in_(self._enterprises())) | (
                LedgerAccount.book == f"{book}@{self.region}"
            )
        return or_(
            LedgerAccount.book == book,
            LedgerAccount.book.startswith(f"{book}/"),
            LedgerAccount.book.startswith(f"{book}@"),
        )

    def applications(self) -> Any:
        if self.programme is None:
            return QuotaApplication.year == self.year
        return (QuotaApplication.programme_id == self.programme.id) & self._in_region(QuotaApplication.organisation_id)


def choose(session: Session, year: int, code: str | None, jurisdiction: str | None) -> Scope:
    """The scope a staff user asks for: the programme ``code`` (not found outside the user's
    jurisdiction), or without one the whole year — for staff of a jurisdiction, the first programme of
    the year under it (a district's authority reports on its own programme)."""
    if code:
        programme = session.scalars(select(Programme).where(Programme.code == code)).one_or_none()
        if programme is None:
            raise NotFound(_l("There is no programme %(code)s.", code=code))
        if covers(jurisdiction, programme.jurisdiction):
            return Scope(programme.year, programme)
        if jurisdiction is not None and covers(programme.jurisdiction, jurisdiction):
            return Scope(programme.year, programme, region=jurisdiction)
        raise NotFound(_l("There is no programme %(code)s.", code=code))
    if jurisdiction is None:
        return Scope(year)
    programmes = list(session.scalars(select(Programme).where(Programme.year == year).order_by(Programme.id)))
    mine = [p for p in programmes if covers(jurisdiction, p.jurisdiction)]
    if mine:
        return Scope(year, mine[0])
    # a city's staff inside a wider programme: that programme, for what lies in the city
    wider = [p for p in programmes if covers(p.jurisdiction, jurisdiction)]
    if wider:
        return Scope(year, max(wider, key=lambda p: len(p.jurisdiction)), region=jurisdiction)
    raise NotFound(_l("No programme of %(year)d lies in your jurisdiction.", year=year))


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
