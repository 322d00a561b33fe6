"""Books of the ledger: whose accounts a movement is in (``Book``), and the book an order, a checkout
or a claim item names (``book_of``). ``wallet.ledger`` moves the money."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.policy import year_end
from wallet.models import Programme


@dataclass(frozen=True)
class Book:
    """Whose accounts a movement is in: a programme's ``budget`` (its book, or a block of it) and the
    enterprise accounts of one of its schemes (``wallet``). The province-wide programme of a year
    keeps the year as both, so that its codes are those of the first round (``available:2026:17``);
    ``expires_on`` is when its unused vouchers expire."""

    budget: str
    wallet: str
    year: int
    expires_on: dt.date

    @classmethod
    def of_year(cls, year: int) -> Book:
        return cls(str(year), str(year), year, year_end(year))

    @classmethod
    def of_programme(cls, programme: Programme) -> Book:
        """A programme's own budget (its blocks are ``<book>@<jurisdiction>``)."""
        return cls(programme.book, programme.book, programme.year, programme.ends_on)

    @property
    def is_year(self) -> bool:
        return self.wallet == str(self.year)

    @property
    def stored(self) -> str | None:
        """What an order or claim item stores: None for the province-wide programme of the year."""
        return None if self.is_year else self.wallet


YearOrBook = int | Book


def as_book(year: YearOrBook) -> Book:
    return year if isinstance(year, Book) else Book.of_year(year)


def book_of(session: Session, stored: str | None, year: int) -> Book:
    """The book an order or claim item names: None (or the year) for the province-wide programme of
    its year, else ``<programme book>/<scheme>`` of its programme."""
    if not stored or stored == str(year):
        return Book.of_year(year)
    programme_book = stored.split("/", 1)[0]
    ends_on = session.scalar(select(Programme.ends_on).where(Programme.book == programme_book))
    return Book(programme_book, stored, year, ends_on or year_end(year))
