"""A small programme year for the oversight tests: grants, orders in every state, claims at every
step, so that each figure of the report has something to count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from claims import reviews
from claims.commands import DisbursementInput
from orders import services as order_services
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import (
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_product,
    make_programme,
    make_staff,
    member,
)
from wallet import services as wallet_services
from wallet.models import LedgerAccount, LedgerPosting


def oversight_world(session: Session, upload_dir: Any) -> dict[str, Any]:
    """Today must be fixed to 2026-03-02 (settlement dates 30 June and 20 December).

    Vouchers (40% of infrastructure, 60% of the platform layer):
    - 贵阳 e1 granted: o1 10,000 (4,000) disbursed · o3 2,500 (1,000) placed · o5 1,000 (400) refunded ·
      o6 2,000 (800) in a submitted claim
    - 遵义 e2 granted: o2 5,000 (3,000, platform) disbursed · o4 3,000 (1,200) cancelled ·
      o7 4,000 (1,600) in a rejected claim (back in orders)
    - 黔南 e3 applied, not granted yet (its 50,000 reserved)
    """
    programme = make_programme(session)
    e1 = make_org(session, name="贵阳甲科技有限公司", region_code="520102")
    e2 = make_org(session, name="遵义乙制造有限公司", region_code="520302")
    e3 = make_org(session, name="都匀丙茶业有限公司", region_code="522701")
    grant_wallet(session, e1)
    grant_wallet(session, e2)
    wallet_services.apply_for_quota(session, member(e3), 2026)
    p1 = make_org(session, "provider", name="贵州甲云计算有限公司")
    p2 = make_org(session, "provider", name="遵义乙数据服务有限公司")
    operator, authority = make_staff(session, Role.OPERATOR), make_staff(session, Role.AUTHORITY)
    platform = make_product(session, p1, price_fen=5_000_00, layer="platform", category="database")
    o1 = make_order(session, e1, p1, amount_fen=10_000_00)
    o2 = make_order(session, e2, p1, amount_fen=5_000_00, voucher_fen=3_000_00, product=platform)
    o3 = make_order(session, e1, p2, amount_fen=2_500_00, status="placed")
    o4 = make_order(session, e2, p2, amount_fen=3_000_00, status="placed")
    order_services.cancel_order(session, member(e2), o4.id, gateway=None)
    o5 = make_order(session, e1, p1, amount_fen=1_000_00)
    order_services.request_refund(session, member(e1), o5.id, "无法使用")
    order_services.decide_refund(session, member(p1), o5.id, Decision(True), gateway=None)
    o6 = make_order(session, e1, p2, amount_fen=2_000_00)
    o7 = make_order(session, e2, p2, amount_fen=4_000_00)
    paid = make_claim(session, p1, [o1, o2], upload_dir)
    reviews.review_claim(session, operator, paid.id, Decision(True))
    reviews.review_claim(session, authority, paid.id, Decision(True))
    finance = make_staff(session, Role.FINANCE)  # the finance bureau records the payment
    paid = reviews.disburse_claim(
        session, finance, paid.id, DisbursementInput.from_input({"reference": "GZCZ-2026-0001"})
    )
    submitted = make_claim(session, p2, [o6], upload_dir)
    rejected = make_claim(session, p2, [o7], upload_dir)
    reviews.review_claim(session, operator, rejected.id, Decision(False, "材料不全"))
    return {
        "programme": programme,
        "e1": e1,
        "e2": e2,
        "e3": e3,
        "p1": p1,
        "p2": p2,
        "operator": operator,
        "authority": authority,
        "finance": finance,
        "orders": [o1, o2, o3, o4, o5, o6, o7],
        "paid": paid,
        "submitted": submitted,
        "rejected": rejected,
    }


def postings_by_kind(session: Session, year: int) -> dict[str, int]:
    """The year's balance per account kind, summed from the postings themselves (not the balances
    the ledger keeps): the independent check of the report's budget figures."""
    rows = session.execute(
        select(LedgerAccount.kind, func.sum(LedgerPosting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerAccount.year == year)
        .group_by(LedgerAccount.kind)
    ).all()
    return {getattr(kind, "value", kind): int(total) for kind, total in rows}
