"""The programme, quota applications and the double-entry voucher ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgs.models import Organisation
from shop.clock import now
from shop.db import Base, BigId, Fen, enum_type
from shop.policy import year_end, year_start
from wallet.states import AccountKind, ApplicationStatus


class Programme(Base):
    """A programme: a jurisdiction's budget for a period under a policy (a preset and the authority's
    overrides, each change a ``PolicyVersion``) with one or more schemes. 第十五条: Guizhou's
    province-wide programme of a year is the one ``year`` alone names (the API's old forms). The
    ledger keeps its money under ``book``: the year for that one (its account codes unchanged since
    the first round), the programme's code for every other."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("budget_fen >= 0", name="budget_not_negative"),
        CheckConstraint("enterprise_cap_fen > 0", name="cap_positive"),
        CheckConstraint(
            "ratio_infrastructure BETWEEN 0 AND 100 AND ratio_platform BETWEEN 0 AND 100 "
            "AND ratio_application BETWEEN 0 AND 100",
            name="ratios_are_percent",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    preset: Mapped[str] = mapped_column(String(20), default="guizhou")
    jurisdiction: Mapped[str] = mapped_column(String(12), default="52", index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    book: Mapped[str] = mapped_column(String(40), unique=True)
    policy_version: Mapped[int] = mapped_column(Integer, default=1)
    year: Mapped[int] = mapped_column(Integer, index=True)
    budget_fen: Mapped[int] = mapped_column(Fen)
    enterprise_cap_fen: Mapped[int] = mapped_column(Fen)
    ratio_infrastructure: Mapped[int] = mapped_column(Integer)
    ratio_platform: Mapped[int] = mapped_column(Integer)
    ratio_application: Mapped[int] = mapped_column(Integer)
    applications_open_on: Mapped[dt.date] = mapped_column(Date)
    applications_close_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    settlement_dates: Mapped[list[SettlementDate]] = relationship(
        order_by="SettlementDate.day", cascade="all, delete-orphan", back_populates="programme"
    )

    def __init__(self, **values: Any) -> None:
        """Given only a ``year``, the province-wide Guizhou programme of that year (code guizhou-YEAR,
        the calendar year, the year as its book)."""
        year = values.get("year")
        if year is not None and "book" not in values:
            values.setdefault("code", f"guizhou-{year}")
            values.setdefault("book", str(year))
            values.setdefault("starts_on", year_start(year))
            values.setdefault("ends_on", year_end(year))
        super().__init__(**values)

    @property
    def ratios(self) -> dict[str, int]:
        return {
            "infrastructure": self.ratio_infrastructure,
            "platform": self.ratio_platform,
            "application": self.ratio_application,
        }

    @property
    def expires_on(self) -> dt.date:
        return self.ends_on or year_end(self.year)

    def audit_state(self) -> dict[str, Any]:
        return {
            "budget_fen": self.budget_fen,
            "enterprise_cap_fen": self.enterprise_cap_fen,
            "ratios": self.ratios,
            "settlement_dates": [d.day for d in self.settlement_dates],
            "applications_open_on": self.applications_open_on,
            "applications_close_on": self.applications_close_on,
        }


class PolicyVersion(Base):
    """One version of a programme's policy: the preset, the overrides, and the whole rule set they
    give (``shop.presets.Rules`` as JSON), so that a decision can always be read under its version."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    number: Mapped[int] = mapped_column(Integer)
    preset: Mapped[str] = mapped_column(String(20))
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SettlementDate(Base):
    """兑现节点: the dates the operator collects redemption claims."""

    __tablename__ = "settlement_dates"
    __table_args__ = (UniqueConstraint("programme_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)

    programme: Mapped[Programme] = relationship(back_populates="settlement_dates")


class QuotaApplication(Base):
    """An enterprise's application for a scheme of a programme, with the facts its cap depends on;
    the amount is reserved on arrival, and only what is granted stays reserved."""

    __tablename__ = "quota_applications"
    __table_args__ = (
        UniqueConstraint("organisation_id", "programme_id", "scheme"),
        Index("ix_quota_applications_organisation_year", "organisation_id", "year"),
        Index("ix_quota_applications_status_arrival", "status", "id"),
        CheckConstraint("reserved_fen >= 0 AND granted_fen >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    scheme: Mapped[str] = mapped_column(String(40), default="default")
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    policy_version: Mapped[int] = mapped_column(Integer, default=1)
    # the year of the subscription this grant pays (Baiyun's dev cloud: 1st 100%, 2nd 80%, 3rd 60%)
    subscription_year: Mapped[int] = mapped_column(Integer, default=1)
    notice_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    # returned for completion: the enterprise completes it by this day, or it lapses
    complete_by: Mapped[dt.date | None] = mapped_column(Date)
    # a grant valid for the policy's days from when it took effect (``validity_days``); None: to the
    # programme's end
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    # given back to the budget after the grant (by the operator, or unused after the policy's days)
    released_fen: Mapped[int] = mapped_column(Fen, default=0)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[ApplicationStatus] = mapped_column(enum_type(ApplicationStatus), default=ApplicationStatus.PENDING)
    applied_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    applied_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reserved_fen: Mapped[int] = mapped_column(Fen)
    granted_fen: Mapped[int] = mapped_column(Fen, default=0)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    programme: Mapped[Programme] = relationship()

    def audit_state(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "scheme": self.scheme,
            "policy_version": self.policy_version,
            "reserved_fen": self.reserved_fen,
            "granted_fen": self.granted_fen,
            "released_fen": self.released_fen,
            "reason": self.reason,
        }


class ApplicationDocument(Base):
    """Evidence of a fact an application declares (Baiyun 第十五条: the reviewer checks the facts the
    cap depends on against their evidence), or ``other`` evidence of the application. Added by the
    enterprise while the application waits for its review; never removed, as the trail refers to it."""

    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("quota_applications.id"), index=True)
    fact: Mapped[str] = mapped_column(String(40))  # one of the scheme's facts, or ``other``
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=now)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Reconsideration(Base):
    """复核 (Baiyun 第十五条(七)): a written request against a grant in its notice (or just after),
    accepted or not, then decided; while it is open the grant does not take effect."""

    __tablename__ = "reconsiderations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("quota_applications.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(default=now)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    accept_by: Mapped[dt.date] = mapped_column(Date)
    decide_by: Mapped[dt.date | None] = mapped_column(Date)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    application: Mapped[QuotaApplication] = relationship()

    def audit_state(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "decision_reason": self.decision_reason}


class LedgerAccount(Base):
    """Where vouchers are, per year (and per enterprise for its wallet). ``balance_fen`` is kept by
    the ledger functions alongside the postings; ``flask --app shop ledger-verify`` recomputes it."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("kind = 'source' OR balance_fen >= 0", name="balance_not_negative"),
        Index("ix_ledger_accounts_year_kind", "year", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)  # e.g. available:2026:17
    kind: Mapped[AccountKind] = mapped_column(enum_type(AccountKind))
    year: Mapped[int] = mapped_column(Integer)
    # the programme's book (``Programme.book``), with ``/scheme`` for an enterprise's accounts of a
    # scheme other than ``default``
    book: Mapped[str] = mapped_column(String(80), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    balance_fen: Mapped[int] = mapped_column(Fen, default=0)


class LedgerEntry(Base):
    """One movement of vouchers; its postings sum to zero. Append-only (database triggers)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_ref", "ref_type", "ref_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    ref_type: Mapped[str | None] = mapped_column(String(40))
    ref_id: Mapped[int | None] = mapped_column(BigId)
    memo: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    postings: Mapped[list[LedgerPosting]] = relationship(back_populates="entry", order_by="LedgerPosting.id")


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        Index("ix_ledger_postings_account", "account_id", "id"),
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_fen: Mapped[int] = mapped_column(Fen)

    entry: Mapped[LedgerEntry] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()
