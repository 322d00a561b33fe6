"""The year's money per programme, scheme and budget block, from the ledger's balances: one GROUP BY
over the accounts of the year, named by the programmes of the year. A book (``wallet.ledger.Book``)
is ``<programme book>`` for a budget, ``<book>@<jurisdiction>`` for a block of it, ``<book>/<scheme>``
for an enterprise's accounts of a scheme; the province-wide programme of a year keeps the year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.ledger_recovery import RECOVERED_KINDS
from wallet.models import LedgerAccount, LedgerEntry, LedgerPosting, Programme
from wallet.states import AccountKind

# what has left the budget for the enterprises' wallets (a recovery's money is still the wallet's until
# it comes back to the budget)
WALLET_KINDS = (
    AccountKind.AVAILABLE,
    AccountKind.IN_ORDERS,
    AccountKind.CLAIMED,
    AccountKind.DISBURSED,
    AccountKind.RECOVERING,
    AccountKind.EXPIRED,
)
DEDUCTED_KINDS = ("deduct_claim",)  # wallet.ledger.deduct_vouchers


def moved_back(
    session: Session, accounts: Any, kind: AccountKind, entries: tuple[str, ...], *, by_book: bool = False
) -> Any:
    """What the ledger's entries of ``entries`` took out of the ``kind`` accounts that match ``accounts``
    (back to the budget), re-derived from their postings; per account book if asked."""
    total = -func.coalesce(func.sum(LedgerPosting.amount_fen), 0)

    def query(*columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(LedgerAccount)
            .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(accounts, LedgerAccount.kind == kind, LedgerEntry.kind.in_(entries))
        )

    if by_book:
        rows = session.execute(query(LedgerAccount.book, total).group_by(LedgerAccount.book))
        return {book: int(value) for book, value in rows}
    return int(session.scalar(query(total)) or 0)


def recovered(session: Session, accounts: Any, *, by_book: bool = False) -> Any:
    """追回: what recoveries brought back to the budget from the ``recovering`` accounts (repaid or set off)."""
    return moved_back(session, accounts, AccountKind.RECOVERING, RECOVERED_KINDS, by_book=by_book)


def deducted(session: Session, accounts: Any, *, by_book: bool = False) -> Any:
    """扣减: what the claims' reviewers deducted, back to the budget from the ``claimed`` accounts when paid."""
    return moved_back(session, accounts, AccountKind.CLAIMED, DEDUCTED_KINDS, by_book=by_book)


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
    granted_fen: int  # available + in orders + claimed + disbursed + recovering + expired
    in_orders_fen: int
    claimed_fen: int
    disbursed_fen: int
    expired_fen: int
    recovering_fen: int = 0  # 追回: paid out, owed back
    recovered_fen: int = 0  # 追回: repaid or set off, back in the budget
    deducted_fen: int = 0  # 扣减: deducted from paid claims, back in the budget


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
    for figure, back in (
        ("recovered", recovered(session, LedgerAccount.year == year, by_book=True)),
        ("deducted", deducted(session, LedgerAccount.year == year, by_book=True)),
    ):
        for book, total in back.items():
            programme, scheme, block = _split(book)
            if programme in programmes:
                scheme = "default" if programme == str(year) and scheme is None else scheme
                sums[(programme, scheme, block)][figure] += total
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
                recovering_fen=values.get(AccountKind.RECOVERING.value, 0),
                recovered_fen=values.get("recovered", 0),
                deducted_fen=values.get("deducted", 0),
            )
        )
    return sorted(rows, key=lambda r: (r.programme, r.scheme is not None, r.block or "", r.scheme or ""))
