"""Public notice entries and their objections; complaints and their replies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgs.models import Organisation
from oversight.rules import in_notice
from oversight.states import ComplaintKind, ComplaintStatus, NoticeKind, ObjectionStatus
from shop.accounts import User
from shop.clock import now
from shop.db import Base, BigId, Fen, enum_type
from wallet.models import Programme


class NoticeEntry(Base):
    """公示: a quota grant or a disbursement, published the day it happens and in notice for at least
    5 working days. What the public reads is kept as it was published (the name then, the masked
    code), so a later change of the organisation does not rewrite the notice."""

    __tablename__ = "notice_entries"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id"),
        Index("ix_notice_entries_notice_ends_on_published_on", "notice_ends_on", "published_on"),
        Index("ix_notice_entries_year_kind_published_on", "year", "kind", "published_on"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("notice_ends_on > published_on", name="period_after_publication"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind))
    year: Mapped[int] = mapped_column(Integer)
    # the programme and policy version the published decision was taken under (None before issue 13)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(40))  # quota_application | claim
    subject_id: Mapped[int] = mapped_column(BigId)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    uscc_masked: Mapped[str] = mapped_column(String(18))
    amount_fen: Mapped[int] = mapped_column(Fen)
    order_count: Mapped[int | None] = mapped_column(Integer)  # a disbursement: the orders it pays for
    event_on: Mapped[dt.date] = mapped_column(Date)  # granted or paid on
    published_on: Mapped[dt.date] = mapped_column(Date)
    notice_ends_on: Mapped[dt.date] = mapped_column(Date)  # the last day of the notice period
    published_at: Mapped[dt.datetime] = mapped_column(default=now)
    # a grant published before it took effect and then cancelled (an upheld 复核): it stays on the
    # notice, marked withdrawn, with why
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    programme: Mapped[Programme | None] = relationship(lazy="joined")
    objections: Mapped[list[NoticeObjection]] = relationship(back_populates="entry", order_by="NoticeObjection.id")

    def is_in_notice(self, today: dt.date) -> bool:
        return in_notice(self.published_on, self.notice_ends_on, today)

    def audit_state(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "year": self.year,
            "subject": f"{self.subject_type} {self.subject_id}",
            "organisation": self.organisation_name,
            "amount_fen": self.amount_fen,
            "published_on": self.published_on,
            "notice_ends_on": self.notice_ends_on,
            "withdrawn_on": self.withdrawn_on,
            "withdrawal_reason": self.withdrawal_reason,
        }


class NoticeObjection(Base):
    """An objection (异议) lodged by a signed-in person during the notice period, and the operator's
    answer. Both are kept and shown with the entry."""

    __tablename__ = "notice_objections"
    __table_args__ = (Index("ix_notice_objections_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("notice_entries.id"), index=True)
    lodged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lodged_at: Mapped[dt.datetime] = mapped_column(default=now)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(enum_type(ObjectionStatus), default=ObjectionStatus.OPEN)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    entry: Mapped[NoticeEntry] = relationship(back_populates="objections")
    lodged_by: Mapped[User] = relationship(foreign_keys=[lodged_by_id])

    def audit_state(self) -> dict[str, Any]:
        return {"status": self.status.value, "answer": self.answer}


class Complaint(Base):
    """五: an enterprise's complaint against the provider of one of its orders, tracked by the operator."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_provider_id_status", "provider_id", "status"),
        Index("ix_complaints_enterprise_id_status", "enterprise_id", "status"),
        Index("ix_complaints_status_filed_at", "status", "filed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[ComplaintKind] = mapped_column(enum_type(ComplaintKind))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ComplaintStatus] = mapped_column(enum_type(ComplaintStatus), default=ComplaintStatus.OPEN)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    # the first reply by someone other than the complaining enterprise, or the operator taking it up
    first_response_at: Mapped[dt.datetime | None]
    first_response_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    taken_up_at: Mapped[dt.datetime | None]
    taken_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Organisation] = relationship(foreign_keys=[enterprise_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    replies: Mapped[list[ComplaintReply]] = relationship(back_populates="complaint", order_by="ComplaintReply.id")

    @property
    def first_response_seconds(self) -> int | None:
        if self.first_response_at is None:
            return None
        return int((self.first_response_at - self.filed_at).total_seconds())

    @property
    def resolution_seconds(self) -> int | None:
        if self.resolved_at is None:
            return None
        return int((self.resolved_at - self.filed_at).total_seconds())

    def audit_state(self) -> dict[str, Any]:
        return {"status": self.status.value, "resolution": self.resolution}


class ComplaintReply(Base):
    """A message on a complaint, by the enterprise, the provider or the operator; both parties and
    staff read every reply."""

    __tablename__ = "complaint_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    party: Mapped[str] = mapped_column(String(20))  # enterprise | provider | operator
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    complaint: Mapped[Complaint] = relationship(back_populates="replies")
    author: Mapped[User] = relationship()
