"""The accounts: people (``User``), their API tokens and the throttling of failed sign-ins.

``User.organisation`` names ``orgs.models.Organisation`` by its name only (imported for type checking,
never at run time): the one deliberate reference from the foundation to an area, since every person
but staff belongs to an organisation. The mapper resolves it once ``orgs.models`` is imported
(``shop.model_registry``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.clock import now
from shop.db import Base, BigId, enum_type
from shop.jurisdictions import covers
from shop.states import STAFF_ROLES, Role

if TYPE_CHECKING:
    from orgs.models import Organisation


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    name: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # staff scoped to a jurisdiction (a division code prefix: 52, 5201, 520102) see, review and report
    # only what lies under it; None: the whole platform (province staff)
    jurisdiction: Mapped[str | None] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the id a session cookie carries; signing out counts it up, so that every cookie of
    # this user issued before (a copy included) stops working: the cookie is signed, not stored.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    # by name: the organisation is the ``orgs`` area's model (the foundation's one reference to an area)
    organisation: Mapped[Organisation | None] = relationship("Organisation", back_populates="members")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session cookie holds
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def oversees(self, region_code: str | None) -> bool:
        """Staff see what lies under their jurisdiction (``shop.jurisdictions``), all of it without one."""
        return self.is_staff and covers(self.jurisdiction, region_code)

    @property
    def label(self) -> str:
        return self.email

    def belongs_to(self, organisation_id: int | None) -> bool:
        return organisation_id is not None and self.organisation_id == organisation_id


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
