"""Products, their versions and their reviews.

A product is the listing; what it says and costs lives in its versions. A version is written as a
draft and frozen once submitted (the database refuses to change or delete it from then on), so an
order can record the version it bought and always find the price and terms it agreed to.
``current_version`` is the latest version (being edited, in review, or the published one);
``published_version`` is the one on sale, replaced in one step when a revision passes both reviews.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from catalog.states import IN_REVIEW, ProductStatus
from orgs.models import Organisation
from shop.accounts import User
from shop.clock import now
from shop.db import Base, BigId, Fen, enum_type, unmodelled
from shop.policy import Category, Layer

# Made by the migration by hand (the models cannot express them): the SQLite FTS5 index of the
# versions' names and descriptions, and PostgreSQL's trigram indexes. Autogenerate leaves them be.
SEARCH_TABLE = "product_versions_fts"
TRIGRAM_INDEXES = ("ix_product_versions_name_trgm", "ix_product_versions_description_trgm")
unmodelled(SEARCH_TABLE, *TRIGRAM_INDEXES)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_status_queued_at", "status", "queued_at"),
        Index("ix_products_provider_id_status", "provider_id", "status"),
        # "newest" pages walk this index and stop after a page (no sort of the whole catalogue)
        Index("ix_products_listed_at_id", "listed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[ProductStatus] = mapped_column(enum_type(ProductStatus), default=ProductStatus.DRAFT)
    # the last reviewer's or delister's reason, shown to the provider
    status_reason: Mapped[str | None] = mapped_column(Text)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_versions.id", use_alter=True, name="fk_products_current_version_id_product_versions")
    )
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_versions.id", use_alter=True, name="fk_products_published_version_id_product_versions"),
        index=True,
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
    # when the product entered its current review stage (review queues are oldest first)
    queued_at: Mapped[dt.datetime | None]
    # when it (re)entered the catalogue ("newest" sorts by it; a revision keeps the date)
    listed_at: Mapped[dt.datetime | None]
    delisted_at: Mapped[dt.datetime | None]

    provider: Mapped[Organisation] = relationship()
    current_version: Mapped[ProductVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)
    published_version: Mapped[ProductVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True
    )
    versions: Mapped[list[ProductVersion]] = relationship(
        foreign_keys="ProductVersion.product_id",
        back_populates="product",
        order_by="ProductVersion.number",
        viewonly=True,
    )

    @property
    def has_pending_revision(self) -> bool:
        """Published, and a later version is being edited or reviewed."""
        return (
            self.published_version_id is not None
            and self.current_version_id is not None
            and self.current_version_id != self.published_version_id
        )

    @property
    def in_review(self) -> bool:
        """With the operator or the authority (a submitted version is frozen until they decide)."""
        return self.status in IN_REVIEW

    @property
    def standing_reason(self) -> str | None:
        """Why the product stands rejected or delisted, as its provider and staff read it."""
        return self.status_reason if self.status in (ProductStatus.REJECTED, ProductStatus.DELISTED) else None

    @property
    def rejection_reason(self) -> str | None:
        """The reviewers' reason while the product stands rejected."""
        return self.status_reason if self.status == ProductStatus.REJECTED else None

    def audit_state(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "reason": self.status_reason,
            "current_version_id": self.current_version_id,
            "published_version_id": self.published_version_id,
        }


class ProductVersion(Base):
    """What a product says and costs at one point; frozen from its submission on."""

    __tablename__ = "product_versions"
    __table_args__ = (
        UniqueConstraint("product_id", "number"),
        # 第十七条, held by the database too: never above the market price
        CheckConstraint("price_fen <= market_price_fen", name="price_at_most_market"),
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("evidence_url IS NOT NULL OR evidence_stored_name IS NOT NULL", name="has_evidence"),
        Index("ix_product_versions_layer_category", "layer", "category"),
        Index("ix_product_versions_price_fen_id", "price_fen", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    number: Mapped[int] = mapped_column(Integer)
    layer: Mapped[Layer] = mapped_column(enum_type(Layer))
    category: Mapped[Category] = mapped_column(enum_type(Category))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(20))
    price_fen: Mapped[int] = mapped_column(Fen)
    market_price_fen: Mapped[int] = mapped_column(Fen)
    # the market price evidence: a public price page, or an uploaded quote (PDF, JPEG, PNG)
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    evidence_stored_name: Mapped[str | None] = mapped_column(String(64))
    evidence_original_name: Mapped[str | None] = mapped_column(String(255))
    evidence_content_type: Mapped[str | None] = mapped_column(String(64))
    evidence_size_bytes: Mapped[int | None] = mapped_column(Integer)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    accepts_vouchers: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None]

    product: Mapped[Product] = relationship(foreign_keys=[product_id], back_populates="versions")
    created_by: Mapped[User] = relationship()

    @property
    def frozen(self) -> bool:
        return self.submitted_at is not None

    @property
    def evidence_kind(self) -> str:
        return "quote" if self.evidence_stored_name else "url"

    def content(self) -> dict[str, Any]:
        """The fields a provider writes, as plain values (for copies, differences and the audit)."""
        return {name: getattr(self, name) for name in CONTENT_FIELDS}


# The fields a version carries from one to the next; a revision copies them and changes some.
CONTENT_FIELDS = (
    "layer",
    "category",
    "name",
    "description",
    "unit",
    "price_fen",
    "market_price_fen",
    "evidence_url",
    "evidence_stored_name",
    "evidence_original_name",
    "evidence_content_type",
    "evidence_size_bytes",
    "evidence_sha256",
    "accepts_vouchers",
)


class ProductReview(Base):
    """One decision of one reviewer on one version: the provider reads the reasons, the authority
    reads what the operator decided."""

    __tablename__ = "product_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # operator | authority
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=now)

    reviewer: Mapped[User] = relationship()
    version: Mapped[ProductVersion] = relationship()


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_submitted_versions(session: Session, _ctx: Any, _instances: Any) -> None:
    """The database refuses it too (triggers of the migration); this says so before it gets there."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ProductVersion):
            submitted = inspect(obj).attrs.submitted_at.history
            was_submitted = (submitted.deleted or submitted.unchanged or [None])[0] is not None
            if was_submitted and (obj in session.deleted or session.is_modified(obj)):
                raise RuntimeError("a submitted product version cannot change")
