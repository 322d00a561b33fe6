"""The year's money per programme, scheme and budget block, from the ledger's balances: one GROUP BY
over the accounts of the year, named by the programmes of the year. A book (``wallet.ledger.Book``)
is ``<programme book>`` for a budget, ``<book>@<jurisdiction>`` for a block of it, ``<book>/<scheme>``
for an enterprise's accounts of a scheme; the province-wide programme of a year keeps the year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.models import LedgerAccount, Programme
from wallet.states import AccountKind

WALLET_KINDS = (
    AccountKind.AVAILABLE,
    AccountKind.IN_ORDERS,
    AccountKind.CLAIMED,
    AccountKind.DISBURSED,
    AccountKind.EXPIRED,
)


@dataclass(frozen=True)
class BookRow:
    """One programme's scheme (its enterprises' accounts) or budget block, with where its money is."""

    programme: str
    title: str
    jurisdiction: str  # the programme's, or the block's
    scheme: str | None  # None: a budget row
    block: str | None  # the block's jurisdiction, None for the programme's own budget
    budget_fen: int  # budget rows: what is left to grant
    reserved_fen: int
    granted_fen: int  # available + in orders + claimed + disbursed + expired
    in_orders_fen: int
    claimed_fen: int
    disbursed_fen: int
    expired_fen: int


def _split(book: str) -> tuple[str, str | None, str | None]:
    """(programme book, scheme, block) of an account's book."""
    if "/" in book:
        programme, scheme = book.split("/", 1)
        return programme, scheme, None
    if "@" in book:
        programme, block = book.split("@", 1)
        return programme, None, block
    return book, None, None


def by_programme(session: Session, year: int) -> list[BookRow]:
    programmes = {p.book: p for p in session.scalars(select(Programme).where(Programme.year == year))}
    sums: dict[tuple[str, str | None, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for book, kind, total in session.execute(
        select(LedgerAccount.book, LedgerAccount.kind, func.coalesce(func.sum(LedgerAccount.balance_fen), 0))
        .where(LedgerAccount.year == year, LedgerAccount.kind != AccountKind.SOURCE)
        .group_by(LedgerAccount.book, LedgerAccount.kind)
    ):
        programme, scheme, block = _split(book)
        if programme not in programmes:
            continue
        key = getattr(kind, "value", kind)
        if programme == str(year) and scheme is None and key not in (AccountKind.BUDGET.value,):
            scheme = "default"  # the province-wide programme's enterprise accounts carry no scheme
        sums[(programme, scheme, block)][key] += int(total)
    rows = []
    for (book, scheme, block), values in sums.items():
        programme = programmes[book]
        rows.append(
            BookRow(
                programme=programme.code,
                title=programme.title or programme.code,
                jurisdiction=block or programme.jurisdiction,
                scheme=scheme,
                block=block,
                budget_fen=values.get(AccountKind.BUDGET.value, 0),
                reserved_fen=values.get(AccountKind.RESERVED.value, 0),
                granted_fen=sum(values.get(k.value, 0) for k in WALLET_KINDS),
                in_orders_fen=values.get(AccountKind.IN_ORDERS.value, 0),
                claimed_fen=values.get(AccountKind.CLAIMED.value, 0),
                disbursed_fen=values.get(AccountKind.DISBURSED.value, 0),
                expired_fen=values.get(AccountKind.EXPIRED.value, 0),
            )
        )
    return sorted(rows, key=lambda r: (r.programme, r.scheme is not None, r.block or "", r.scheme or ""))
