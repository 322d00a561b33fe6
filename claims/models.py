"""Redemption claims (第二十二条–第二十五条): a provider's batch of confirmed orders, its evidence, the
authority's queries to the operator, and the disbursement.

Two rules are kept by the database itself, so that they hold under parallel requests:
- an order is in at most one live claim (a unique index over the live items' order ids);
- an invoice number appears in at most one live claim (a unique index over live invoices).
"Live" is a flag on the item or document, cleared when the claim is rejected or withdrawn, when the
operator takes an order out, or when the provider removes a document from a draft.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.states import ClaimDocumentKind, ClaimStatus, PaymentRequestStatus
from orders.models import Order
from orgs.models import Organisation
from shop.accounts import User
from shop.clock import now
from shop.db import Base, BigId, Fen, enum_type
from shop.states import Role

__all__ = ["Claim", "ClaimItem", "ClaimDocument", "ClaimQuery", "PaymentRequest"]


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_provider_id_status", "provider_id", "status"),
        Index("ix_claims_status_settlement_date", "status", "settlement_date"),
        Index("ix_claims_settlement_date_status", "settlement_date", "status"),
        CheckConstraint("total_fen >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[ClaimStatus] = mapped_column(enum_type(ClaimStatus), default=ClaimStatus.DRAFT)
    total_fen: Mapped[int] = mapped_column(Fen, default=0)  # the vouchers of its live orders
    settlement_date: Mapped[dt.date | None] = mapped_column(Date)
    policy_version: Mapped[int | None] = mapped_column(Integer)  # of the programme when submitted
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None]
    operator_decided_at: Mapped[dt.datetime | None]
    operator_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    operator_reason: Mapped[str | None] = mapped_column(Text)
    authority_decided_at: Mapped[dt.datetime | None]
    authority_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    authority_reason: Mapped[str | None] = mapped_column(Text)
    disbursement_reference: Mapped[str | None] = mapped_column(String(100))
    disbursed_on: Mapped[dt.date | None] = mapped_column(Date)
    disbursed_fen: Mapped[int | None] = mapped_column(Fen)  # the payable: its vouchers less the deductions
    # 追回: what of the payment went to settle its provider's recoveries instead of being transferred
    # (``claims.recoveries.set_off_against``); transferred = disbursed_fen − set_off_fen
    set_off_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    disbursed_at: Mapped[dt.datetime | None]
    disbursed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 拨付申请: the payment request the authority sent it in (cleared when the finance bureau returns it)
    payment_request_id: Mapped[int | None] = mapped_column(ForeignKey("payment_requests.id"), index=True)

    provider: Mapped[Organisation] = relationship()
    items: Mapped[list[ClaimItem]] = relationship(back_populates="claim", order_by="ClaimItem.id")
    documents: Mapped[list[ClaimDocument]] = relationship(back_populates="claim", order_by="ClaimDocument.id")
    queries: Mapped[list[ClaimQuery]] = relationship(back_populates="claim", order_by="ClaimQuery.id")

    @property
    def live_items(self) -> list[ClaimItem]:
        return [item for item in self.items if item.live]

    @property
    def live_documents(self) -> list[ClaimDocument]:
        return [doc for doc in self.documents if doc.live]

    @property
    def orders_fen(self) -> int:
        """The full amounts of its live orders (the vouchers are ``total_fen``)."""
        return sum(item.order.total_fen for item in self.live_items)

    @property
    def deducted_fen(self) -> int:
        """What the reviewers deducted from its live orders' vouchers (扣减)."""
        return sum(item.deducted_fen for item in self.live_items)

    @property
    def payable_fen(self) -> int:
        """What is paid when the claim is: its vouchers less the deductions."""
        return self.total_fen - self.deducted_fen

    @property
    def invoices_fen(self) -> int:
        return sum(doc.invoice_amount_fen or 0 for doc in self.live_documents if doc.kind == ClaimDocumentKind.INVOICE)

    @property
    def reason(self) -> str | None:
        """The reason of the last decision (a rejection's is what the provider needs to read)."""
        return self.authority_reason or self.operator_reason

    @property
    def rejection_reason(self) -> str | None:
        """Why the claim was rejected, if it was (what its provider needs to read)."""
        return self.reason if self.status == ClaimStatus.REJECTED else None

    @property
    def transferred_fen(self) -> int | None:
        """What the provider received of a paid claim: the payment less what was set off."""
        return None if self.disbursed_fen is None else self.disbursed_fen - self.set_off_fen

    def audit_state(self) -> dict[str, Any]:
        return {"status": self.status.value, "total_fen": self.total_fen, "settlement_date": self.settlement_date}


class ClaimItem(Base):
    """An order in a claim, with the vouchers it redeems (the order's voucher part)."""

    __tablename__ = "claim_items"
    __table_args__ = (
        Index(
            "uq_claim_items_live_order",
            "order_id",
            unique=True,
            sqlite_where=text("live"),
            postgresql_where=text("live"),
        ),
        CheckConstraint("voucher_fen > 0", name="voucher_positive"),
        CheckConstraint("deducted_fen >= 0 AND deducted_fen <= voucher_fen", name="deduction_within_voucher"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    voucher_year: Mapped[int] = mapped_column(Integer)
    voucher_book: Mapped[str | None] = mapped_column(String(80))
    voucher_fen: Mapped[int] = mapped_column(Fen)
    # 扣减: what the reviewers will not pay of this order's vouchers (a quality problem, the experts'
    # acceptance), with why; it goes back to the programme's budget when the claim is paid
    deducted_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    deduction_reason: Mapped[str | None] = mapped_column(Text)
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    excluded_at: Mapped[dt.datetime | None]
    excluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    excluded_reason: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[Claim] = relationship(back_populates="items")
    order: Mapped[Order] = relationship()
    enterprise: Mapped[Organisation] = relationship()
    # the operator, or the buyer whose refund request took the order out of a draft
    excluded_by: Mapped[User | None] = relationship(foreign_keys=[excluded_by_id])

    @property
    def left_for_refund(self) -> bool:
        """Taken out of a draft by its buyer's refund request (``leave_for_refund``), not by the operator."""
        return self.excluded_by is not None and self.excluded_by.role == Role.ENTERPRISE


class ClaimDocument(Base):
    """Evidence of a claim; for an invoice its number and amount (one number, one live claim)."""

    __tablename__ = "claim_documents"
    __table_args__ = (
        Index(
            "uq_claim_documents_live_invoice_number",
            "invoice_number",
            unique=True,
            sqlite_where=text("live AND invoice_number IS NOT NULL"),
            postgresql_where=text("live AND invoice_number IS NOT NULL"),
        ),
        CheckConstraint(
            "kind <> 'invoice' OR (invoice_number IS NOT NULL AND invoice_amount_fen > 0)",
            name="invoice_has_number_and_amount",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[ClaimDocumentKind] = mapped_column(enum_type(ClaimDocumentKind))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    invoice_number: Mapped[str | None] = mapped_column(String(40))
    invoice_amount_fen: Mapped[int | None] = mapped_column(Fen)
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=now)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[dt.datetime | None]

    claim: Mapped[Claim] = relationship(back_populates="documents")


class ClaimQuery(Base):
    """第二十五条: the authority's question to the operator, due 3 working days on."""

    __tablename__ = "claim_queries"
    __table_args__ = (Index("ix_claim_queries_answered_at_due_on", "answered_at", "due_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[dt.datetime] = mapped_column(default=now)
    asked_on: Mapped[dt.date] = mapped_column(Date)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None]
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    claim: Mapped[Claim] = relationship(back_populates="queries")

    @property
    def is_open(self) -> bool:
        return self.answered_at is None

    def is_overdue(self, today: dt.date) -> bool:
        """Unanswered after its due day, or answered after it."""
        return (self.answered_on or today) > self.due_on

    def audit_state(self) -> dict[str, Any]:
        return {"question": self.question, "due_on": self.due_on, "answer": self.answer}


class PaymentRequest(Base):
    """拨付申请: the approved claims of one programme's settlement date, sent by the authority to the
    finance bureau (财政局) of the programme's jurisdiction. The bureau records the transfer (its bank
    reference and day: every claim is paid, ``claims.payments.pay_claim``) or returns the request with
    a reason (its claims wait, approved and detached, to be sent again). At most one request of a
    programme's date is at the bureau at a time (a unique index over the sent ones)."""

    __tablename__ = "payment_requests"
    __table_args__ = (
        Index(
            "uq_payment_requests_sent_programme_date",
            "programme_id",
            "settlement_date",
            unique=True,
            sqlite_where=text("status = 'sent'"),
            postgresql_where=text("status = 'sent'"),
        ),
        Index("ix_payment_requests_status_settlement_date", "status", "settlement_date"),
        CheckConstraint("total_fen >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    settlement_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[PaymentRequestStatus] = mapped_column(
        enum_type(PaymentRequestStatus), default=PaymentRequestStatus.SENT
    )
    total_fen: Mapped[int] = mapped_column(Fen, default=0)  # what its claims are paid: their payable amounts
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[dt.datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_reason: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[dt.datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_reference: Mapped[str | None] = mapped_column(String(100))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    paid_at: Mapped[dt.datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def audit_state(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "programme_id": self.programme_id,
            "settlement_date": self.settlement_date,
            "total_fen": self.total_fen,
            "claim_count": self.claim_count,
            "paid_reference": self.paid_reference,
            "paid_on": self.paid_on,
            "returned_reason": self.returned_reason,
        }
