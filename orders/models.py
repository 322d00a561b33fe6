"""Carts, checkout attempts, orders and their lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Product, ProductVersion
from orders.states import AttemptStatus, CancellationReason, OrderStatus, PaymentStatus
from orgs.models import Organisation
from shop.clock import now
from shop.db import Base, BigId, Fen, enum_type


class CartLine(Base):
    """The cart of an enterprise, kept in the database (every member of the enterprise shares it)."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "product_id"),
        CheckConstraint("quantity BETWEEN 1 AND 9999", name="quantity_in_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(default=now)

    product: Mapped[Product] = relationship()


class CheckoutAttempt(Base):
    """One press of "pay", written before anything is sent to the payment service: it carries our
    idempotency (the same key returns the same result) and lets a crashed attempt be found and
    undone. ``plan`` is what the checkout computed (orders, lines, voucher shares)."""

    __tablename__ = "checkout_attempts"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "key"),
        Index("ix_checkout_attempts_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[AttemptStatus] = mapped_column(enum_type(AttemptStatus), default=AttemptStatus.RESERVED)
    voucher_year: Mapped[int] = mapped_column(Integer)
    # the wallet's book (``wallet.ledger.Book``): None for the province-wide programme of the year
    voucher_book: Mapped[str | None] = mapped_column(String(80))
    voucher_fen: Mapped[int] = mapped_column(Fen)
    self_pay_fen: Mapped[int] = mapped_column(Fen)
    payment_method: Mapped[str | None] = mapped_column(String(100))
    plan: Mapped[Any] = mapped_column(JSON)
    intents: Mapped[Any] = mapped_column(JSON, default=dict)  # plan index → PaymentIntent id
    agreement_version: Mapped[str] = mapped_column(String(20))
    agreement_accepted_at: Mapped[dt.datetime]
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
    # renewed by the checkout before each call to the payment service: while it is in the future the
    # checkout's worker may be alive, and ``reconcile-payments`` leaves the attempt alone
    lease_until: Mapped[dt.datetime | None]

    orders: Mapped[list[Order]] = relationship(back_populates="attempt", order_by="Order.id")


class Order(Base):
    """One order per provider (each order is one contract, 第十九条)."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_enterprise_id_status", "enterprise_id", "status"),
        Index("ix_orders_provider_id_status", "provider_id", "status"),
        Index("ix_orders_status_placed_at", "status", "placed_at"),
        Index("ix_orders_voucher_year_status", "voucher_year", "status"),  # the year's reports
        Index("ix_orders_payment_status_status", "payment_status", "status"),  # reconcile-payments
        CheckConstraint("total_fen = voucher_fen + self_pay_fen", name="amounts_add_up"),
        CheckConstraint("voucher_fen >= 0 AND self_pay_fen >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("checkout_attempts.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[OrderStatus] = mapped_column(enum_type(OrderStatus), default=OrderStatus.PLACED)
    total_fen: Mapped[int] = mapped_column(Fen)
    voucher_fen: Mapped[int] = mapped_column(Fen)
    self_pay_fen: Mapped[int] = mapped_column(Fen)
    voucher_year: Mapped[int] = mapped_column(Integer)
    # the wallet's book (``wallet.ledger.Book``): None for the province-wide programme of the year
    voucher_book: Mapped[str | None] = mapped_column(String(80))
    voucher_policy_version: Mapped[int | None] = mapped_column(Integer)  # the policy it was priced under
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    payment_status: Mapped[PaymentStatus] = mapped_column(enum_type(PaymentStatus))
    refund_id: Mapped[str | None] = mapped_column(String(100))
    agreement_version: Mapped[str] = mapped_column(String(20))
    agreement_accepted_at: Mapped[dt.datetime]
    placed_at: Mapped[dt.datetime] = mapped_column(default=now)
    confirmed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    refund_requested_at: Mapped[dt.datetime | None]
    refund_reason: Mapped[str | None] = mapped_column(Text)
    refund_decided_at: Mapped[dt.datetime | None]
    refund_decision_reason: Mapped[str | None] = mapped_column(Text)
    capture_started_at: Mapped[dt.datetime | None]  # when ``capture_pending`` was (last) recorded
    cancellation_reason: Mapped[CancellationReason | None] = mapped_column(enum_type(CancellationReason))

    attempt: Mapped[CheckoutAttempt] = relationship(back_populates="orders")
    enterprise: Mapped[Organisation] = relationship(foreign_keys=[enterprise_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id")

    def audit_state(self) -> dict[str, Any]:
        state = {
            "status": self.status.value,
            "payment_status": self.payment_status.value,
            "voucher_fen": self.voucher_fen,
            "self_pay_fen": self.self_pay_fen,
        }
        if self.cancellation_reason is not None:
            state["cancellation_reason"] = self.cancellation_reason.value
        return state


class OrderLine(Base):
    """What was bought: the product version (its frozen price and terms), quantity and shares."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("amount_fen = unit_price_fen * quantity", name="amount_is_price_times_quantity"),
        CheckConstraint("voucher_fen >= 0 AND voucher_fen <= amount_fen", name="voucher_within_amount"),
        Index("ix_order_lines_product_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"))
    layer: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    unit_price_fen: Mapped[int] = mapped_column(Fen)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Fen)
    voucher_fen: Mapped[int] = mapped_column(Fen)

    order: Mapped[Order] = relationship(back_populates="lines")
    version: Mapped[ProductVersion] = relationship()

    @property
    def self_pay_fen(self) -> int:
        return self.amount_fen - self.voucher_fen
