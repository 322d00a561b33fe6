"""第十二条: an organisation leaves or is expelled. These are catalogue use cases because they delist
its products; the organisation's status changes through ``orgs.services`` (the status table is
``orgs.states.ORGANISATION``). Each use case commits; ``settle_exits`` is the daily job.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Product
from catalog.rules import exit_effective_on
from catalog.services import delist
from catalog.states import ProductStatus
from orgs import services as org_services
from orgs.models import Organisation
from orgs.states import OrgKind
from shop import clock, policy
from shop.accounts import User
from shop.errors import Forbidden, NotFound
from shop.inputs import REASON_MAX, Inputs
from shop.states import Role

# -- provider exit (第十二条) --------------------------------------------------------------------

def request_exit(session: Session, actor: User, org_id: int, reason: Any) -> Organisation:
    """A provider gives notice: it leaves 30 days on; its products stay on sale until then."""
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None or not actor.belongs_to(org.id):
        raise NotFound()
    if org.kind != OrgKind.PROVIDER:
        raise Forbidden()
    inputs = Inputs({"reason": reason})
    reason = inputs.text("reason", max_length=REASON_MAX)
    inputs.check()
    org_services.give_notice(session, actor, org, exit_effective_on(clock.today(), policy.current().exit_notice_days), reason)
    session.commit()
    return org


def _live_products(session: Session, org_id: int) -> list[Product]:
    return list(session.scalars(select(Product).where(Product.provider_id == org_id,
                                                      Product.status != ProductStatus.DELISTED)
                                .order_by(Product.id).with_for_update()))


def expel_organisation(session: Session, actor: User, org_id: int, reason: Any, blacklist: Any) -> Organisation:
    """The operator forces an organisation out (a provider for law breaking, fake service, subsidy
    fraud, bankruptcy…; an enterprise for subsidy fraud or a bad-credit record): a provider's products
    are all delisted at once; in serious cases the credit code goes on the blacklist. Orders in
    progress are left as they are; nothing it is party to moves money any more (``sanctioned``)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs({"reason": reason, "blacklist": blacklist})
    reason = inputs.text("reason", max_length=REASON_MAX)
    blacklist = inputs.boolean("blacklist", default=False)
    inputs.check()
    org = session.get(Organisation, org_id, with_for_update=True)
    if org is None:
        raise NotFound()
    at = clock.now()
    org_services.expel(session, actor, org, reason)
    for product in _live_products(session, org.id):
        delist(session, product, actor, reason, at)
    if blacklist and not org_services.is_blacklisted(session, org.uscc):
        org_services.blacklist_uscc(session, actor, org.uscc, reason)
    session.commit()
    return org


expel_provider = expel_organisation   # its name while only providers could be expelled


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
