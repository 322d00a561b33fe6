"""What contract vouchers (``orders.contract_vouchers``) add to the wallet's sums for ``ledger-verify``
(``wallet.ledger_check.adjust_with``): the wallet knows quota applications only, and may not read the
orders.

Per book and enterprise: a voucher in review, reviewed or in its notice holds its reservation
(``reserved``); an issued or redeemed one is granted (its amount is in the order, then claimed, then
disbursed: the claims' own checks follow it there); the programme's budget is less both. A refused,
withdrawn or lapsed voucher gave everything back to the budget."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orders.states import VOUCHER_GRANTED, VOUCHER_HELD
from orders.voucher_models import ContractVoucher
from wallet import ledger_check
from wallet.models import Programme

Sums = dict[tuple[str, int | None], int]


def voucher_sums(session: Session) -> Mapping[str, Sums]:
    reserved: Sums = defaultdict(int)
    granted: Sums = defaultdict(int)
    budget: Sums = defaultdict(int)
    for book, scheme, org, status, reserved_fen, amount_fen in session.execute(
        select(
            Programme.book,
            ContractVoucher.scheme,
            ContractVoucher.organisation_id,
            ContractVoucher.status,
            func.sum(ContractVoucher.reserved_fen),
            func.sum(ContractVoucher.amount_fen),
        )
        .join(Programme, Programme.id == ContractVoucher.programme_id)
        .where(ContractVoucher.status.in_((*VOUCHER_HELD, *VOUCHER_GRANTED)))
        .group_by(Programme.book, ContractVoucher.scheme, ContractVoucher.organisation_id, ContractVoucher.status)
    ):
        wallet = f"{book}/{scheme}"
        if status in VOUCHER_HELD:
            amount = int(reserved_fen or 0)
            reserved[(wallet, org)] += amount
        else:
            amount = int(amount_fen)
            granted[(wallet, org)] += amount
        budget[(book, None)] -= amount
    return {"reserved": dict(reserved), "granted": dict(granted), "budget": dict(budget)}


def register() -> None:
    ledger_check.adjust_with("contract_vouchers", voucher_sums)
