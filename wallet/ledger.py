"""The double-entry voucher ledger (django-oscar-accounts style). Every movement of vouchers is one
``LedgerEntry`` with two postings that sum to zero; entries and postings are append-only (database
triggers). Each account's ``balance_fen`` moves in the same transaction with a conditional UPDATE
(``… WHERE balance_fen >= :amount``), so a balance never goes negative, also under concurrent
requests on PostgreSQL (row locks) and SQLite (BEGIN IMMEDIATE); accounts are updated in id order, so
two transfers never deadlock. The functions never commit: the use case that calls them does. Whose
accounts a movement is in: ``wallet.books``; ``wallet.ledger_check`` verifies it (``ledger-verify``).
"""

from __future__ import annotations

from sqlalchemy import select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop import clock
from shop.errors import DomainError
from shop.i18n import _l
from wallet.books import Book, YearOrBook, as_book, book_of  # noqa: F401 (ledger.Book, ledger.book_of)
from wallet.models import LedgerAccount, LedgerEntry, LedgerPosting
from wallet.states import AccountKind

SOURCE, BUDGET, RESERVED = AccountKind.SOURCE, AccountKind.BUDGET, AccountKind.RESERVED
AVAILABLE, IN_ORDERS, CLAIMED, DISBURSED = (
    AccountKind.AVAILABLE,
    AccountKind.IN_ORDERS,
    AccountKind.CLAIMED,
    AccountKind.DISBURSED,
)


class InsufficientVouchers(DomainError):
    """A debit larger than the account holds (the caller decides what it means to a person)."""

    def __init__(self, account_code: str, amount_fen: int) -> None:
        super().__init__("invalid_state", _l("Not enough vouchers for this movement."))
        self.account_code = account_code
        self.amount_fen = amount_fen


def account_code(kind: AccountKind, year: YearOrBook, organisation_id: int | None = None) -> str:
    book = as_book(year)
    key = book.wallet if organisation_id is not None else book.budget
    return f"{kind.value}:{key}" + (f":{organisation_id}" if organisation_id is not None else "")


def account(session: Session, kind: AccountKind, year: YearOrBook, organisation_id: int | None = None) -> LedgerAccount:
    """The account, created on first use (a parallel creation of the same account is resolved by
    its unique code)."""
    book = as_book(year)
    code = account_code(kind, book, organisation_id)
    found = session.scalars(select(LedgerAccount).where(LedgerAccount.code == code)).one_or_none()
    if found is not None:
        return found
    created = LedgerAccount(
        code=code,
        kind=kind,
        year=book.year,
        book=book.wallet if organisation_id is not None else book.budget,
        organisation_id=organisation_id,
        balance_fen=0,
    )
    try:
        with session.begin_nested():
            session.add(created)
    except IntegrityError:
        return session.scalars(select(LedgerAccount).where(LedgerAccount.code == code)).one()
    return created


def transfer(
    session: Session,
    source: LedgerAccount,
    target: LedgerAccount,
    amount_fen: int,
    *,
    kind: str,
    year: int,
    ref: tuple[str, int] | None = None,
    memo: str | None = None,
    actor_id: int | None = None,
) -> LedgerEntry:
    """Move ``amount_fen`` from ``source`` to ``target`` as one entry; refuse with
    ``InsufficientVouchers`` when the source holds less (the source account of public money aside)."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValueError("a transfer moves a positive whole number of fen")
    if source.id is None or target.id is None:
        session.flush()
    for acc in sorted((source, target), key=lambda a: a.id):
        if acc is source:
            stmt = (
                update(LedgerAccount)
                .where(LedgerAccount.id == source.id)
                .values(balance_fen=LedgerAccount.balance_fen - amount_fen)
            )
            if source.kind != AccountKind.SOURCE:
                stmt = stmt.where(LedgerAccount.balance_fen >= amount_fen)
            if session.execute(stmt.execution_options(synchronize_session=False)).rowcount != 1:
                raise InsufficientVouchers(source.code, amount_fen)
        else:
            session.execute(
                update(LedgerAccount)
                .where(LedgerAccount.id == target.id)
                .values(balance_fen=LedgerAccount.balance_fen + amount_fen)
                .execution_options(synchronize_session=False)
            )
    session.expire(source, ["balance_fen"])
    session.expire(target, ["balance_fen"])
    entry = LedgerEntry(
        at=clock.now(),
        kind=kind,
        year=year,
        ref_type=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
        memo=memo,
        actor_id=actor_id,
    )
    entry.postings = [
        LedgerPosting(account_id=source.id, amount_fen=-amount_fen),
        LedgerPosting(account_id=target.id, amount_fen=amount_fen),
    ]
    session.add(entry)
    session.flush()
    return entry


def balance(session: Session, kind: AccountKind, year: YearOrBook, organisation_id: int | None = None) -> int:
    code = account_code(kind, year, organisation_id)
    return session.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.code == code)) or 0


def lock_account(
    session: Session, kind: AccountKind, year: YearOrBook, organisation_id: int | None = None
) -> LedgerAccount:
    """The account with its row locked until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    serialises writers), for a use case that must read a balance and act on it."""
    acc = account(session, kind, year, organisation_id)
    session.flush()
    return session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.id == acc.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# -- the movements of the programme --------------------------------------------------------------------


def _move(
    session: Session,
    year: YearOrBook,
    source: tuple[AccountKind, int | None],
    target: tuple[AccountKind, int | None],
    amount_fen: int,
    *,
    kind: str,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """One movement between two accounts of a book, each ``(kind, organisation or None)``."""
    book = as_book(year)
    transfer(
        session,
        account(session, source[0], book, source[1]),
        account(session, target[0], book, target[1]),
        amount_fen,
        kind=kind,
        year=book.year,
        ref=ref,
        actor_id=actor_id,
    )


def fund_programme(
    session: Session, year: YearOrBook, amount_fen: int, actor_id: int | None, programme_id: int | None = None
) -> None:
    ref = ("programme", programme_id or as_book(year).year)
    _move(session, year, (SOURCE, None), (BUDGET, None), amount_fen, kind="fund_programme", ref=ref, actor_id=actor_id)


def defund_programme(
    session: Session, year: YearOrBook, amount_fen: int, actor_id: int | None, programme_id: int | None = None
) -> None:
    """Lower the budget; refused (InsufficientVouchers) below what is already reserved or granted."""
    ref = ("programme", programme_id or as_book(year).year)
    _move(
        session, year, (BUDGET, None), (SOURCE, None), amount_fen, kind="defund_programme", ref=ref, actor_id=actor_id
    )


def allocate_block(
    session: Session, year: YearOrBook, block: str, amount_fen: int, programme_id: int, actor_id: int | None
) -> None:
    """切块: part of a programme's budget set aside for a sub-jurisdiction (its own budget account)."""
    book = as_book(year)
    block_book = Book(block, block, book.year, book.expires_on)
    transfer(
        session,
        account(session, AccountKind.BUDGET, book),
        account(session, AccountKind.BUDGET, block_book),
        amount_fen,
        kind="allocate_block",
        year=book.year,
        ref=("programme", programme_id),
        actor_id=actor_id,
    )


def reserve_quota(
    session: Session, year: YearOrBook, organisation_id: int, amount_fen: int, application_id: int, actor_id: int | None
) -> None:
    ref = ("quota_application", application_id)
    _move(
        session,
        year,
        (BUDGET, None),
        (RESERVED, organisation_id),
        amount_fen,
        kind="reserve_quota",
        ref=ref,
        actor_id=actor_id,
    )


def grant_quota(
    session: Session, year: YearOrBook, organisation_id: int, amount_fen: int, application_id: int, actor_id: int | None
) -> None:
    """The reservation becomes the enterprise's wallet (or expired, when its year has already ended)."""
    ref = ("quota_application", application_id)
    target = (_available_or_expired(year), organisation_id)
    _move(
        session, year, (RESERVED, organisation_id), target, amount_fen, kind="grant_quota", ref=ref, actor_id=actor_id
    )


def release_reservation(
    session: Session, year: YearOrBook, organisation_id: int, amount_fen: int, application_id: int, actor_id: int | None
) -> None:
    ref = ("quota_application", application_id)
    source = (RESERVED, organisation_id)
    _move(session, year, source, (BUDGET, None), amount_fen, kind="release_reservation", ref=ref, actor_id=actor_id)


def release_grant(
    session: Session, year: YearOrBook, organisation_id: int, amount_fen: int, application_id: int, actor_id: int | None
) -> None:
    """Unused vouchers of a grant go back to the programme's budget (the operator, or the policy's
    days unused): wallet → budget."""
    ref = ("quota_application", application_id)
    source = (AVAILABLE, organisation_id)
    _move(session, year, source, (BUDGET, None), amount_fen, kind="release_grant", ref=ref, actor_id=actor_id)


def _available_or_expired(year: YearOrBook) -> AccountKind:
    return AccountKind.EXPIRED if clock.today() > as_book(year).expires_on else AccountKind.AVAILABLE


def expire_year(session: Session, year: YearOrBook, organisation_id: int | None = None) -> int:
    """Move the unused vouchers of ``year`` (the province-wide book) or of one scheme's ``Book`` to
    expired, every enterprise's (or ``organisation_id``'s); returns the fen expired."""
    book = as_book(year)
    one = LedgerAccount.organisation_id == organisation_id if organisation_id is not None else true()
    rows = session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.kind == AccountKind.AVAILABLE, LedgerAccount.book == book.wallet, one)
        .where(LedgerAccount.balance_fen > 0)
        .order_by(LedgerAccount.id)
    ).all()
    total = 0
    for acc in rows:
        amount = acc.balance_fen
        transfer(
            session,
            acc,
            account(session, AccountKind.EXPIRED, year, acc.organisation_id),
            amount,
            kind="expire",
            year=as_book(year).year,
            ref=("organisation", acc.organisation_id),
        )
        total += amount
    return total


# -- for orders and claims (issues 5 and 6): an enterprise's vouchers between its own accounts ------------


def hold_vouchers(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """Checkout: vouchers leave the wallet and are held by the checkout or order ``ref``."""
    mine = enterprise_id
    _move(
        session,
        year,
        (AVAILABLE, mine),
        (IN_ORDERS, mine),
        amount_fen,
        kind="hold_for_order",
        ref=ref,
        actor_id=actor_id,
    )


def release_vouchers(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
    kind: str = "release_order",
) -> None:
    """Cancellation, refund or a failed payment: held vouchers go back to the wallet, or to expired
    when their year has ended (a returned voucher of an expired year is not spendable again)."""
    target = (_available_or_expired(year), enterprise_id)
    _move(session, year, (IN_ORDERS, enterprise_id), target, amount_fen, kind=kind, ref=ref, actor_id=actor_id)


def claim_vouchers(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """A provider's redemption claim takes the order's vouchers: in orders → claimed."""
    mine = enterprise_id
    _move(session, year, (IN_ORDERS, mine), (CLAIMED, mine), amount_fen, kind="claim", ref=ref, actor_id=actor_id)


def unclaim_vouchers(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """A claim rejected, or an order taken out of it: claimed → back in orders (claimable again)."""
    mine = enterprise_id
    _move(session, year, (CLAIMED, mine), (IN_ORDERS, mine), amount_fen, kind="unclaim", ref=ref, actor_id=actor_id)


def disburse_vouchers(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """The authority paid the provider: claimed → disbursed."""
    mine = enterprise_id
    _move(session, year, (CLAIMED, mine), (DISBURSED, mine), amount_fen, kind="disburse", ref=ref, actor_id=actor_id)


def deduct_vouchers(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """扣减: what a paid claim's reviewers deducted goes back to the programme's budget: claimed → budget."""
    source = (CLAIMED, enterprise_id)
    _move(session, year, source, (BUDGET, None), amount_fen, kind="deduct_claim", ref=ref, actor_id=actor_id)
