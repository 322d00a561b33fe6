"""Short helpers for catalogue tests (and for the areas that build on products, e.g. orders)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from catalog import services
from catalog.commands import Expulsion
from catalog.listing import ListingInput
from catalog.models import Product
from orgs.models import Organisation
from orgs.states import OrgKind
from shop.accounts import User
from shop.inputs import Decision, ReasonInput
from shop.states import Role
from tests.helpers import make_org, make_staff, member

_n = itertools.count(1)


def listing(**overrides: Any) -> dict[str, Any]:
    """A valid listing as the API takes it."""
    n = next(_n)
    data = {
        "layer": "infrastructure",
        "category": "compute",
        "name": f"云服务器 ECS 通用型 2核4G 测试{n}",
        "description": "通用型云服务器，2 核 vCPU、4 GiB 内存。\n\n适合企业官网与开发测试环境。",
        "unit": "月",
        "price_fen": 18_900,
        "market_price_fen": 21_900,
        "market_price_evidence": "https://www.aliyun.com/price/product",
        "accepts_vouchers": True,
    }
    data.update(overrides)
    return data


APPROVE = Decision(True)


def change(data: dict[str, Any]) -> ListingInput:
    """A change of a listing, as the API's PATCH reads it."""
    return ListingInput.from_input(data, partial=True)


def decide(decision: str, reason: str | None = None) -> Decision:
    """A reviewer's decision, as a form or the API sends it."""
    return Decision.from_input({"decision": decision, "reason": reason})


def notice(reason: str) -> ReasonInput:
    """A provider's notice, as a form or the API sends it."""
    return ReasonInput.from_input({"reason": reason})


def expulsion(reason: str, blacklist: bool = False) -> Expulsion:
    """An expulsion, as a form or the API sends it."""
    return Expulsion.from_input({"reason": reason, "blacklist": blacklist})


def make_provider(session: Session, **kwargs: Any) -> Organisation:
    return make_org(session, OrgKind.PROVIDER, **kwargs)


class Reviewers:
    """One operator and one authority per test, made on first use."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._operator: User | None = None
        self._authority: User | None = None

    @property
    def operator(self) -> User:
        if self._operator is None:
            self._operator = make_staff(self.session, Role.OPERATOR)
        return self._operator

    @property
    def authority(self) -> User:
        if self._authority is None:
            self._authority = make_staff(self.session, Role.AUTHORITY)
        return self._authority


def reviewers(session: Session) -> Reviewers:
    return session.info.setdefault("catalog_reviewers", Reviewers(session))


def make_product(
    session: Session, provider: Organisation | None = None, *, status: str = "published", **overrides: Any
) -> Product:
    """A product of ``provider`` (a new certified one if not given), taken through the real use cases
    as far as ``status``: draft, submitted, operator_approved, published, rejected or delisted."""
    provider = provider or make_provider(session)
    owner = member(provider)
    product = services.create_product(session, owner, ListingInput.from_input(listing(**overrides)))
    if status == "draft":
        return product
    services.submit_product(session, owner, product.id)
    if status == "submitted":
        return product
    if status == "rejected":
        return services.review_product(session, reviewers(session).operator, product.id, Decision(False, "证据不足"))
    services.review_product(session, reviewers(session).operator, product.id, APPROVE)
    if status == "operator_approved":
        return product
    services.review_product(session, reviewers(session).authority, product.id, APPROVE)
    if status == "delisted":
        return services.delist_product(session, owner, product.id, "停售")
    return product


def approve_both(session: Session, product_id: int) -> Product:
    services.review_product(session, reviewers(session).operator, product_id, APPROVE)
    return services.review_product(session, reviewers(session).authority, product_id, APPROVE)


def reprice(session: Session, product: Product, price_fen: int) -> Product:
    """The provider changes the price of a product on sale and the change passes both reviews: from
    then on the product sells at ``price_fen`` (第十七条)."""
    product = session.get(Product, product.id)
    owner = member(product.provider)
    services.edit_product(
        session, owner, product.id, change({"price_fen": price_fen, "market_price_fen": max(price_fen, 1)})
    )
    services.submit_product(session, owner, product.id)
    return approve_both(session, product.id)
