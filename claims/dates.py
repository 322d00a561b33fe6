"""A claim's programmes — those whose vouchers its orders spent (their wallets' books) — and what they
decide for it: the settlement dates it can go to (every programme's for the settlement-date
overview), the evidence it needs (第二十三条: every kind any of them asks for) and the working days a
query leaves (the shortest of theirs)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from claims.models import Claim
from shop import policy
from shop.presets import Rules
from wallet import versions
from wallet.models import Programme, SettlementDate


def settlement_dates(session: Session, programme_ids: list[int] | None = None) -> list[dt.date]:
    """Every programme's settlement dates, or those of ``programme_ids`` (a claim's programmes)."""
    stmt = select(SettlementDate.day).distinct().order_by(SettlementDate.day)
    if programme_ids is not None:
        stmt = stmt.where(SettlementDate.programme_id.in_(programme_ids))
    return list(session.scalars(stmt))


def programmes_of(session: Session, claim: Claim) -> list[int]:
    """The programmes whose vouchers a claim's orders spent (by their wallets' books): its settlement
    date is one of theirs."""
    books = {(item.voucher_book or str(item.voucher_year)).split("/", 1)[0] for item in claim.live_items}
    return list(session.scalars(select(Programme.id).where(Programme.book.in_(sorted(books))).order_by(Programme.id)))


def rules_of_claim(session: Session, claim: Claim) -> list[Rules]:
    """The current rules of the claim's programmes (the province-wide one's for a claim without orders)."""
    programmes = [session.get(Programme, i) for i in programmes_of(session, claim)]
    return [versions.rules_of(session, p) for p in programmes if p is not None]


def evidence_kinds(session: Session, claim: Claim) -> tuple[str, ...]:
    kinds: list[str] = []
    for rules in rules_of_claim(session, claim) or []:
        kinds += [k for k in rules.claim_evidence if k not in kinds]
    return tuple(kinds) or policy.current().evidence_kinds


def query_working_days(session: Session, claim: Claim) -> int:
    days = [rules.query_working_days for rules in rules_of_claim(session, claim)]
    return min(days) if days else policy.current().query_working_days
