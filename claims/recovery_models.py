"""Recoveries (追回, issue 14): what a paid claim's provider owes back, the wallets it is recovered
from, and how it comes back (a repayment, or a set-off against the provider's next payment). The use
cases are ``claims.recoveries``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.models import Claim
from claims.states import RecoverySettlementKind, RecoveryStatus
from orgs.models import Organisation
from shop.clock import now
from shop.db import Base, BigId, Fen, enum_type

__all__ = ["Recovery", "RecoveryPart", "RecoverySettlement"]


class Recovery(Base):
    """追回: staff open it against a disbursed claim with an amount (at most what the claim paid less
    what is already under recovery for it) and a reason; ``repaid_fen`` + ``set_off_fen`` come back
    until nothing is owed and it is settled. ``jurisdiction`` is that of the claim's programme (their
    common prefix when it has several): the staff who may see and act on it oversee it."""

    __tablename__ = "recoveries"
    __table_args__ = (
        Index("ix_recoveries_organisation_id_status", "organisation_id", "status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(
            "repaid_fen >= 0 AND set_off_fen >= 0 AND repaid_fen + set_off_fen <= amount_fen",
            name="settled_within_amount",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # the claim's provider
    jurisdiction: Mapped[str] = mapped_column(String(12), index=True)
    amount_fen: Mapped[int] = mapped_column(Fen)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RecoveryStatus] = mapped_column(enum_type(RecoveryStatus), default=RecoveryStatus.OPEN)
    repaid_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    set_off_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    banned: Mapped[bool] = mapped_column(Boolean, default=False)  # the provider was banned with it
    opened_at: Mapped[dt.datetime] = mapped_column(default=now)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[dt.datetime | None]

    claim: Mapped[Claim] = relationship()
    organisation: Mapped[Organisation] = relationship()
    parts: Mapped[list[RecoveryPart]] = relationship(back_populates="recovery", order_by="RecoveryPart.id")
    settlements: Mapped[list[RecoverySettlement]] = relationship(
        back_populates="recovery", order_by="RecoverySettlement.id", foreign_keys="RecoverySettlement.recovery_id"
    )

    @property
    def owed_fen(self) -> int:
        """What the provider still owes."""
        return self.amount_fen - self.repaid_fen - self.set_off_fen

    def audit_state(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "claim_id": self.claim_id,
            "amount_fen": self.amount_fen,
            "repaid_fen": self.repaid_fen,
            "set_off_fen": self.set_off_fen,
        }


class RecoveryPart(Base):
    """The part of a recovery owed on one wallet of the claim (its book, year and enterprise): the
    ledger's ``recovering`` account of that wallet holds ``amount_fen − settled_fen`` for it."""

    __tablename__ = "recovery_parts"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("settled_fen >= 0 AND settled_fen <= amount_fen", name="settled_within_amount"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recovery_id: Mapped[int] = mapped_column(ForeignKey("recoveries.id"), index=True)
    voucher_book: Mapped[str | None] = mapped_column(String(80))
    voucher_year: Mapped[int] = mapped_column(Integer)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    amount_fen: Mapped[int] = mapped_column(Fen)
    settled_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")

    recovery: Mapped[Recovery] = relationship(back_populates="parts")

    @property
    def wallet(self) -> str:
        return self.voucher_book or str(self.voucher_year)

    @property
    def owed_fen(self) -> int:
        return self.amount_fen - self.settled_fen


class RecoverySettlement(Base):
    """Part of a recovery that came back: a repayment (its bank reference and day) or a set-off against
    the provider's later claim ``claim_id`` when that claim was paid."""

    __tablename__ = "recovery_settlements"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recovery_id: Mapped[int] = mapped_column(ForeignKey("recoveries.id"), index=True)
    kind: Mapped[RecoverySettlementKind] = mapped_column(enum_type(RecoverySettlementKind))
    amount_fen: Mapped[int] = mapped_column(Fen)
    reference: Mapped[str | None] = mapped_column(String(100))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)  # a set-off's claim
    recorded_at: Mapped[dt.datetime] = mapped_column(default=now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recovery: Mapped[Recovery] = relationship(back_populates="settlements", foreign_keys=[recovery_id])

    def audit_state(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "amount_fen": self.amount_fen,
            "reference": self.reference,
            "paid_on": self.paid_on,
            "claim_id": self.claim_id,
        }
