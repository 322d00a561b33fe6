"""Affiliations (隶属、共建、产权纽带): the operator records that two organisations are affiliated, and a
voucher never pays a provider affiliated with the buyer (``orders`` asks ``affiliated_ids``)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from orgs.commands import AffiliationInput
from orgs.models import Affiliation, Organisation
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import ConflictingInput, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.pagination import Page, paginate
from shop.states import Role


@use_case
def add_affiliation(session: Session, actor: User, org_id: int, affiliation: AffiliationInput) -> Affiliation:
    """Record that two organisations are affiliated (隶属、共建、产权纽带); symmetric. A fault about
    the other organisation goes beside the field it was given in (``affiliation.field``)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    field, note = affiliation.field, affiliation.note
    org, other = session.get(Organisation, org_id), session.get(Organisation, affiliation.organisation_id)
    if org is None:
        raise NotFound()
    if other is None:
        raise ValidationError({field: [_l("There is no organisation with this number.")]})
    if org.id == other.id:
        raise ValidationError({field: [_l("An organisation cannot be affiliated with itself.")]})
    low, high = sorted((org.id, other.id))
    if affiliated(session, low, high):
        raise ConflictingInput(_l("These organisations are already recorded as affiliated."), field=field)
    row = Affiliation(organisation_low_id=low, organisation_high_id=high, note=note, created_by_id=actor.id)
    session.add(row)
    session.flush()
    for subject in (low, high):
        record(
            session,
            actor,
            "organisation",
            subject,
            "add_affiliation",
            None,
            {"affiliation_id": row.id, "organisations": [low, high], "note": note},
        )
    session.commit()
    return row


@use_case
def remove_affiliation(session: Session, actor: User, affiliation_id: int) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    affiliation = session.get(Affiliation, affiliation_id)
    if affiliation is None:
        raise NotFound()
    pair = [affiliation.organisation_low_id, affiliation.organisation_high_id]
    for subject in pair:
        record(
            session,
            actor,
            "organisation",
            subject,
            "remove_affiliation",
            {"affiliation_id": affiliation.id, "organisations": pair, "note": affiliation.note},
            None,
        )
    session.delete(affiliation)
    session.commit()


def affiliated(session: Session, a: int, b: int) -> bool:
    low, high = sorted((a, b))
    return (
        session.scalars(
            select(Affiliation.id).where(
                Affiliation.organisation_low_id == low, Affiliation.organisation_high_id == high
            )
        ).first()
        is not None
    )


def affiliated_ids(session: Session, org_id: int) -> set[int]:
    """Every organisation affiliated with ``org_id`` (one query, for a whole cart)."""
    rows = session.execute(
        select(Affiliation.organisation_low_id, Affiliation.organisation_high_id).where(
            or_(Affiliation.organisation_low_id == org_id, Affiliation.organisation_high_id == org_id)
        )
    ).all()
    return {low if high == org_id else high for low, high in rows}


def affiliations_of(session: Session, org_id: int) -> list[Affiliation]:
    return list(
        session.scalars(
            select(Affiliation)
            .where(or_(Affiliation.organisation_low_id == org_id, Affiliation.organisation_high_id == org_id))
            .options(selectinload(Affiliation.low), selectinload(Affiliation.high))
            .order_by(Affiliation.id)
        )
    )


def list_affiliations(session: Session, page: int, per_page: int) -> Page[Affiliation]:
    stmt = (
        select(Affiliation)
        .options(selectinload(Affiliation.low), selectinload(Affiliation.high))
        .order_by(Affiliation.id.desc())
    )
    return paginate(session, stmt, page, per_page)
