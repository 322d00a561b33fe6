"""Contract vouchers (Linyi, Liuzhou): one per order, computed from it, reviewed, numbered when issued.
The use cases are ``orders.contract_vouchers``, ``orders.voucher_reviews`` and ``orders.voucher_issue``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.models import Order
from orders.states import VoucherStatus
from orgs.models import Organisation
from shop.clock import now
from shop.db import Base, BigId, Fen, enum_type


class ContractVoucher(Base):
    """A voucher for one signed order (合同): the amount its policy gives for the order (``amount_fen``,
    reserved from the programme's budget on application), the facts declared, each review stage's
    deadline, the score of the last stage (择优), and once issued its printable ``number`` and the day
    it stops being redeemable (``valid_until``)."""

    __tablename__ = "contract_vouchers"
    __table_args__ = (
        CheckConstraint("amount_fen > 0 AND amount_fen <= order_total_fen", name="amount_within_order"),
        CheckConstraint("reserved_fen >= 0 AND reserved_fen <= amount_fen", name="reserved_within_amount"),
        CheckConstraint("ratio BETWEEN 0 AND 100", name="ratio_is_percent"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_in_range"),
        Index("ix_contract_vouchers_programme_id_status", "programme_id", "status"),
        Index("ix_contract_vouchers_organisation_id_year", "organisation_id", "year"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(60), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    scheme: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)  # the calendar year it was applied for (its ratio, the yearly total)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    order_total_fen: Mapped[int] = mapped_column(Fen)
    ratio: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Fen)
    # what it holds in the budget's reservation: the amount from the application (first come), or from
    # the round's grant (择优: ranked applications reserve nothing until the round); 0 once issued or returned
    reserved_fen: Mapped[int] = mapped_column(Fen, default=0)
    facts: Mapped[Any] = mapped_column(JSON)
    status: Mapped[VoucherStatus] = mapped_column(enum_type(VoucherStatus), default=VoucherStatus.APPLIED)
    stage: Mapped[int] = mapped_column(Integer, default=0)  # the index of the review stage it waits for
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # the current stage's deadline (working days)
    score: Mapped[int | None] = mapped_column(Integer)
    reviews: Mapped[Any] = mapped_column(JSON, default=list)  # [{stage, by, decision, reason, score, at}]
    applied_at: Mapped[dt.datetime] = mapped_column(default=now)
    applied_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    notice_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    # the card: what the issuance gives back of a captured payment (its refund id once made)
    card_refund_fen: Mapped[int] = mapped_column(Fen, default=0)
    card_refund_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was refused or lapsed

    order: Mapped[Order] = relationship()
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])

    def audit_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "status": self.status.value,
            "amount_fen": self.amount_fen,
            "stage": self.stage,
        }
        for name in ("number", "score", "valid_until", "reason"):
            if getattr(self, name) is not None:
                state[name] = getattr(self, name)
        return state
