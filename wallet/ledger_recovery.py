"""The movements of a recovery (追回, issue 14): a paid claim's vouchers, or part of them, owed back by
its provider. Opening it moves the amount from ``disbursed`` to ``recovering`` in the wallet the
vouchers were spent from; a recorded repayment, or a set-off against the same provider's next payment,
moves what is settled from ``recovering`` back to the programme's budget. Like ``wallet.ledger`` (whose
``_move`` they use), these never commit; ``wallet.ledger_check`` verifies them (``ledger-verify``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from wallet.books import YearOrBook
from wallet.ledger import BUDGET, DISBURSED, _move
from wallet.states import AccountKind

RECOVERING = AccountKind.RECOVERING
# the entries that bring recovered money back to a programme's budget (the reports sum them)
RECOVERED_KINDS = ("repay_recovery", "set_off_recovery")


def recover_vouchers(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """A recovery is opened against a paid claim: disbursed → recovering (owed back by its provider)."""
    mine = enterprise_id
    _move(
        session,
        year,
        (DISBURSED, mine),
        (RECOVERING, mine),
        amount_fen,
        kind="open_recovery",
        ref=ref,
        actor_id=actor_id,
    )


def settle_recovery(
    session: Session,
    year: YearOrBook,
    enterprise_id: int,
    amount_fen: int,
    *,
    set_off: bool,
    ref: tuple[str, int],
    actor_id: int | None,
) -> None:
    """What the provider repaid, or what was set off against its next payment: recovering → budget."""
    kind = "set_off_recovery" if set_off else "repay_recovery"
    source = (RECOVERING, enterprise_id)
    _move(session, year, source, (BUDGET, None), amount_fen, kind=kind, ref=ref, actor_id=actor_id)
