"""扣减 (Linyi 第十三条: "相应扣减'云服务券'兑付金额"; Liuzhou 第二十二条: the experts' acceptance decides
what amount is paid): the reviewer of a claim — the operator while it is submitted, the authority
after the operator's approval — approves an order of it for less than its vouchers, with a reason the
provider reads. The claim is then paid its vouchers less the deductions; what is deducted goes back
from "claimed" to the programme's budget in the same transaction as the payment
(``claims.reviews.disburse_claim``, ``wallet.ledger.deduct_vouchers``). Each use case commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from claims.models import Claim, ClaimItem
from claims.services import claim_for
from claims.states import CLAIM, ClaimStatus
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.money import format_fen
from shop.states import Role

# who reviews a claim in each status (and so may deduct)
REVIEWER = {ClaimStatus.SUBMITTED: Role.OPERATOR, ClaimStatus.OPERATOR_APPROVED: Role.AUTHORITY}


@use_case
def deduct_order(
    session: Session, actor: User, claim_id: int, order_id: int, amount_fen: int, reason: str | None
) -> Claim:
    """Set the deduction of one order of the claim (0 takes it back); a deduction needs a reason."""
    claim = claim_for(session, actor, claim_id, lock=True)
    if not actor.is_staff:
        raise Forbidden()
    CLAIM.next(claim.status, "deduct_order")
    if REVIEWER.get(claim.status) != actor.role:
        raise Forbidden()
    item = next((i for i in claim.live_items if i.order_id == order_id), None)
    if item is None:
        raise NotFound(_l("This order is not in the claim."))
    if not 0 <= amount_fen <= item.voucher_fen:
        raise ValidationError(
            {
                "amount_fen": [
                    _l("Between ¥0.00 and the order's vouchers, %(amount)s.", amount=format_fen(item.voucher_fen))
                ]
            }
        )
    if amount_fen and not reason:
        raise ValidationError({"reason": [_l("Say why the order is paid less.")]})
    before = {"order_id": order_id, "deducted_fen": item.deducted_fen, "reason": item.deduction_reason}
    item.deducted_fen, item.deduction_reason = amount_fen, (reason if amount_fen else None)
    session.flush()
    record(
        session,
        actor,
        "claim",
        claim.id,
        "deduct_order",
        before,
        {
            "order_id": order_id,
            "deducted_fen": amount_fen,
            "reason": item.deduction_reason,
            "payable_fen": claim.payable_fen,
        },
    )
    session.commit()
    return claim


def deducted_by_wallet(items: Iterable[ClaimItem]) -> dict[tuple[str, int, int], int]:
    """The deductions of ``items`` per (book, year, enterprise): one ledger movement each."""
    amounts: dict[tuple[str, int, int], int] = defaultdict(int)
    for item in items:
        if item.deducted_fen:
            amounts[(item.voucher_book or str(item.voucher_year), item.voucher_year, item.enterprise_id)] += (
                item.deducted_fen
            )
    return dict(sorted(amounts.items()))
