"""The ledger movements of a contract voucher (Linyi, Liuzhou: ``orders.contract_vouchers``), each an
entry of ``wallet.ledger`` referenced to the voucher:

- applied: budget → reserved (the enterprise's, in the scheme's book), as a quota application;
- refused, withdrawn, or not granted in its round: reserved → budget;
- issued: reserved → in orders: the order it was computed from is voucher-backed, and the claims
  pipeline redeems it as any other (in orders → claimed → disbursed);
- lapsed (the contract not performed, the order cancelled or refunded, expired unclaimed): in orders →
  budget.

The functions never commit (``wallet.ledger``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from wallet.ledger import BUDGET, IN_ORDERS, RESERVED, YearOrBook, _move


def _ref(voucher_id: int) -> tuple[str, int]:
    return ("contract_voucher", voucher_id)


def reserve(
    session: Session, book: YearOrBook, org_id: int, amount_fen: int, voucher_id: int, actor_id: int | None
) -> None:
    kind = "reserve_contract_voucher"
    _move(
        session,
        book,
        (BUDGET, None),
        (RESERVED, org_id),
        amount_fen,
        kind=kind,
        ref=_ref(voucher_id),
        actor_id=actor_id,
    )


def release(
    session: Session, book: YearOrBook, org_id: int, amount_fen: int, voucher_id: int, actor_id: int | None
) -> None:
    kind = "release_contract_voucher"
    _move(
        session,
        book,
        (RESERVED, org_id),
        (BUDGET, None),
        amount_fen,
        kind=kind,
        ref=_ref(voucher_id),
        actor_id=actor_id,
    )


def issue(
    session: Session, book: YearOrBook, org_id: int, amount_fen: int, voucher_id: int, actor_id: int | None
) -> None:
    kind = "issue_contract_voucher"
    _move(
        session,
        book,
        (RESERVED, org_id),
        (IN_ORDERS, org_id),
        amount_fen,
        kind=kind,
        ref=_ref(voucher_id),
        actor_id=actor_id,
    )


def lapse(
    session: Session, book: YearOrBook, org_id: int, amount_fen: int, voucher_id: int, actor_id: int | None
) -> None:
    kind = "lapse_contract_voucher"
    _move(
        session,
        book,
        (IN_ORDERS, org_id),
        (BUDGET, None),
        amount_fen,
        kind=kind,
        ref=_ref(voucher_id),
        actor_id=actor_id,
    )
