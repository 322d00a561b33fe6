"""Which claims a staff user of a jurisdiction sees (``User.jurisdiction``, ``shop.jurisdictions``): those
with an order of an enterprise whose region lies under it (a county's reviewer sees the claims of its
enterprises' orders, the city's authority all of the city's); staff without a jurisdiction see every
claim. A claim without live orders goes by its provider's region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select, true
from sqlalchemy.orm import Session, aliased

from claims.models import Claim, ClaimItem
from orgs.models import Organisation
from shop.accounts import User
from shop.jurisdictions import under


def sees(session: Session, actor: User, claim: Claim) -> bool:
    """Whether ``actor`` is staff overseeing the claim (``clause`` for one claim)."""
    if not actor.is_staff or actor.jurisdiction is None:
        return actor.is_staff
    ids = {item.enterprise_id for item in claim.live_items} or {claim.provider_id}
    regions = session.scalars(select(Organisation.region_code).where(Organisation.id.in_(ids)))
    return any(actor.oversees(region) for region in regions)


def clause(actor: User) -> Any:
    """SQL: the ``Claim`` lies under staff ``actor``'s jurisdiction (every claim without one)."""
    if actor.jurisdiction is None:
        return true()
    enterprise, provider = aliased(Organisation), aliased(Organisation)
    live = exists().where(ClaimItem.claim_id == Claim.id, ClaimItem.live.is_(True))
    return or_(
        exists().where(
            ClaimItem.claim_id == Claim.id,
            ClaimItem.live.is_(True),
            enterprise.id == ClaimItem.enterprise_id,
            under(enterprise.region_code, actor.jurisdiction),
        ),
        ~live & exists().where(provider.id == Claim.provider_id, under(provider.region_code, actor.jurisdiction)),
    )
