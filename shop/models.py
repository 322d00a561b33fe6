"""Organisations, people, certification, affiliations, the blacklist, tokens and the holiday table."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.clock import now
from shop.db import Base, BigId
from shop.states import STAFF_ROLES, OrgKind, OrgStatus, Role


def enum_type(enum_cls: type[StrEnum]) -> Enum:
    """A status column stored as its API string (VARCHAR, no native enum: adding a state is a code
    change, not a schema change)."""
    return Enum(enum_cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        Index("ix_organisations_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    established_on: Mapped[dt.date] = mapped_column(Date)
    legal_representative: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[OrgStatus] = mapped_column(enum_type(OrgStatus), default=OrgStatus.PENDING_CERTIFICATION)
    status_reason: Mapped[str | None] = mapped_column(Text)
    exit_effective_on: Mapped[dt.date | None] = mapped_column(Date)
    suspended_until: Mapped[dt.date | None] = mapped_column(Date)   # a suspension ends on this day
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    certified_at: Mapped[dt.datetime | None]

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    def audit_state(self) -> dict[str, Any]:
        state = {"status": self.status.value, "reason": self.status_reason,
                 "exit_effective_on": self.exit_effective_on}
        if self.suspended_until is not None:   # only while a suspension has an end date
            state["suspended_until"] = self.suspended_until
        return state


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    name: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the id a session cookie carries; signing out counts it up, so that every cookie of
    # this user issued before (a copy included) stops working: the cookie is signed, not stored.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session cookie holds
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def label(self) -> str:
        return self.email

    def belongs_to(self, organisation_id: int | None) -> bool:
        return organisation_id is not None and self.organisation_id == organisation_id


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
        back_populates="submission", order_by="CertificationDocument.id")


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
    """第十二条: a USCC on the blacklist cannot register again."""

    __tablename__ = "blacklist_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored. A revoked token stays, as a record."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed sign-ins per e-mail address and per client address, to slow down guessing."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime]
    locked_until: Mapped[dt.datetime | None]


class Holiday(Base):
    """The operator's overrides of the working-day calendar (a statutory holiday or an adjusted
    working day the library does not know yet, e.g. next year's before it is published)."""

    __tablename__ = "holidays"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
