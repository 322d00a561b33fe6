"""第十二条: an organisation leaves or is expelled. These are catalogue use cases because they delist
its products; the organisation's status changes through ``orgs.services`` (the status table is
``orgs.states.ORGANISATION``). Each is a ``@use_case`` taking a command (``catalog.commands``) and
committing once; ``settle_exits`` is the daily job.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.commands import Expulsion
from catalog.models import Product
from catalog.rules import exit_effective_on
from catalog.services import delist
from catalog.states import ProductStatus
from orgs import blacklist as org_blacklist
from orgs import services as org_services
from orgs.models import Organisation
from orgs.states import ORGANISATION, OrgKind, OrgStatus
from shop import clock, policy
from shop.accounts import User
from shop.db import use_case
from shop.errors import Forbidden, NotFound
from shop.inputs import ReasonInput
from shop.states import Role

# -- what the pages offer ---------------------------------------------------------------------


def organisation_actions(actor: User | None, org: Organisation) -> set[str]:
    """What ``actor`` may do here to ``org``: its provider's members list products (``list``, while
    certified) and give notice (``request_exit``); the operator expels it (``expel``)."""
    actions: set[str] = set()
    if actor is None:
        return actions
    if org.kind == OrgKind.PROVIDER and actor.belongs_to(org.id):
        if org.status == OrgStatus.CERTIFIED:
            actions.add("list")
        if ORGANISATION.can(org.status, "request_exit"):
            actions.add("request_exit")
    if actor.role == Role.OPERATOR and ORGANISATION.can(org.status, "expel"):
        actions.add("expel")
    return actions


def leaving_on(org: Organisation) -> dt.date | None:
    """The day a provider that gave notice leaves (第十二条), while it is leaving."""
    return org.exit_effective_on if org.status == OrgStatus.EXITING else None


def has_left(org: Organisation) -> bool:
    """The organisation has left the platform, for good: its status leads nowhere any more."""
    return not ORGANISATION.allowed(org.status)


# -- provider exit (第十二条) --------------------------------------------------------------------


@use_case
def request_exit(session: Session, actor: User, org_id: int, notice: ReasonInput) -> Organisation:
    """A provider gives notice: it leaves 30 days on; its products stay on sale until then."""
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None or not actor.belongs_to(org.id):
        raise NotFound()
    if org.kind != OrgKind.PROVIDER:
        raise Forbidden()
    org_services.give_notice(
        session, actor, org, exit_effective_on(clock.today(), policy.current().exit_notice_days), notice.reason
    )
    session.commit()
    return org


def _live_products(session: Session, org_id: int) -> list[Product]:
    return list(
        session.scalars(
            select(Product)
            .where(Product.provider_id == org_id, Product.status != ProductStatus.DELISTED)
            .order_by(Product.id)
            .with_for_update()
        )
    )


@use_case
def expel_organisation(session: Session, actor: User, org_id: int, expulsion: Expulsion) -> Organisation:
    """The operator forces an organisation out (a provider for law breaking, fake service, subsidy
    fraud, bankruptcy…; an enterprise for subsidy fraud or a bad-credit record): a provider's products
    are all delisted at once; in serious cases the credit code goes on the blacklist. Orders in
    progress are left as they are; nothing it is party to moves money any more (``sanctioned``)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    reason = expulsion.reason
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None or not actor.oversees(org.region_code):  # another jurisdiction's: not found
        raise NotFound()
    at = clock.now()
    org_services.expel(session, actor, org, reason)
    for product in _live_products(session, org.id):
        delist(session, product, actor, reason, at)
    if expulsion.blacklist and not org_blacklist.is_blacklisted(session, org.uscc):
        org_blacklist.blacklist_uscc(session, actor, org.uscc, reason)
    session.commit()
    return org


expel_provider = expel_organisation  # its name while only providers could be expelled


@use_case
def settle_exits(session: Session, today: dt.date | None = None) -> int:
    """Complete the exits whose day has come: the organisation has left, its products are delisted.
    The catalogue already hides them from that day on; this records it. Idempotent; commits."""
    today = today or clock.today()
    at = clock.now()
    leaving = org_services.exits_due(session, today)
    for org in leaving:
        org_services.complete_exit(session, org)
        for product in _live_products(session, org.id):
            delist(session, product, None, None, at)
    session.commit()
    return len(leaving)


def is_blacklisted(session: Session, org: Organisation) -> bool:
    """Whether the organisation's credit code is on the blacklist (after an expulsion, say)."""
    return org_blacklist.is_blacklisted(session, org.uscc)
