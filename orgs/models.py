"""Organisations (第十条–第十四条): their certification submissions and documents, affiliations and the
blacklist. Their members are ``shop.accounts.User``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgs.states import OrgKind, OrgStatus
from shop.accounts import User
from shop.clock import now
from shop.db import Base, BigId, enum_type


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (Index("ix_organisations_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    # why the region differs from the division code inside the USCC (a company that moved), as the
    # operator recorded it; None while they agree
    region_note: Mapped[str | None] = mapped_column(Text)
    established_on: Mapped[dt.date] = mapped_column(Date)
    legal_representative: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[OrgStatus] = mapped_column(enum_type(OrgStatus), default=OrgStatus.PENDING_CERTIFICATION)
    status_reason: Mapped[str | None] = mapped_column(Text)
    exit_effective_on: Mapped[dt.date | None] = mapped_column(Date)
    suspended_until: Mapped[dt.date | None] = mapped_column(Date)  # a suspension ends on this day
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    certified_at: Mapped[dt.datetime | None]

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    def audit_state(self) -> dict[str, Any]:
        state = {"status": self.status.value, "reason": self.status_reason, "exit_effective_on": self.exit_effective_on}
        if self.suspended_until is not None:  # only while a suspension has an end date
            state["suspended_until"] = self.suspended_until
        if self.region_note is not None:  # only once the operator said why the region differs
            state["region_note"] = self.region_note
        return state


class CertificationSubmission(Base):
    """One upload of the certification documents; a rejected organisation submits again, and every
    submission is kept with its decision."""

    __tablename__ = "certification_submissions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    decision: Mapped[str | None] = mapped_column(String(16))  # approve | reject, once decided
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()
    documents: Mapped[list[CertificationDocument]] = relationship(
        back_populates="submission", order_by="CertificationDocument.id"
    )


class CertificationDocument(Base):
    __tablename__ = "certification_documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("certification_submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # business_licence | realname_form | contact_id_card
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    submission: Mapped[CertificationSubmission] = relationship(back_populates="documents")


class Affiliation(Base):
    """隶属、共建、产权纽带: a symmetric relation, stored once with the lower id first. A voucher never
    pays a provider affiliated with the buyer."""

    __tablename__ = "affiliations"
    __table_args__ = (
        UniqueConstraint("organisation_low_id", "organisation_high_id"),
        CheckConstraint("organisation_low_id < organisation_high_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_low_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    organisation_high_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    low: Mapped[Organisation] = relationship(foreign_keys=[organisation_low_id])
    high: Mapped[Organisation] = relationship(foreign_keys=[organisation_high_id])


class BlacklistEntry(Base):
    """第十二条: a USCC on the blacklist cannot register again (until its term, if it has one, ends)."""

    __tablename__ = "blacklist_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    # a ban with a term (Liuzhou 3 years, Baiyun 5: ``Rules.ban_years``) ends on this day, when the
    # code is no longer sanctioned and the daily ``end_bans`` takes it off; None: until removed (长期)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)

    def in_force(self, today: dt.date) -> bool:
        return self.ends_on is None or self.ends_on > today
