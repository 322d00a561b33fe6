"""Use cases of the catalogue's products (第十一条, 第十七条): listing, changing, submitting, reviewing
and delisting. The reading and searching are ``catalog.queries``, the reading of a listing's fields
``catalog.listing``, a provider's exit and expulsion ``catalog.providers``.

Each public function that changes something owns its transaction: it commits on success; a refusal
raises DomainError (API.md's codes) and leaves nothing behind.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.listing import (
    Upload,
    audit_content,
    check_listing,
    evidence_fields,
    read_listing,
    remove_evidence,
    store_evidence,
)
from catalog.models import Product, ProductReview, ProductVersion
from catalog.states import IN_REVIEW, PRODUCT, REVIEW_STAGES, ProductStatus
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from orgs.states import OrgStatus
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.errors import DomainError, Forbidden, InvalidState, NotFound
from shop.i18n import _l
from shop.inputs import REASON_MAX, Inputs
from shop.labels import label
from shop.states import Role

# -- who may act --------------------------------------------------------------------------------

def _active_provider(session: Session, actor: User) -> Organisation:
    """The actor's provider organisation, certified and not leaving: only it lists and changes
    products (第十条: only certified organisations act; 第十二条: a leaving one winds down)."""
    if actor.role != Role.PROVIDER:
        raise Forbidden()
    org = session.get(Organisation, actor.organisation_id)
    if org is None:
        raise Forbidden()
    ensure_not_sanctioned(session, org.id)
    if org.status == OrgStatus.EXITING:
        raise InvalidState(_l("Your organisation is leaving the platform on %(day)s: it no longer lists or "
                              "changes products.", day=org.exit_effective_on.isoformat()))
    if org.status != OrgStatus.CERTIFIED:
        raise DomainError("not_certified", _l("Only a certified provider can list products."))
    return org


def _own_product(session: Session, actor: User, product_id: int) -> Product:
    """The actor's organisation's product, locked for the change; to anyone else it does not exist."""
    product = session.get(Product, product_id, with_for_update=True)
    if product is None or not actor.belongs_to(product.provider_id):
        raise NotFound()
    return product


def _set_current(product: Product, version: ProductVersion) -> None:
    product.current_version = version
    product.current_version_id = version.id


def _set_published(product: Product, version: ProductVersion | None) -> None:
    product.published_version = version
    product.published_version_id = version.id if version is not None else None


# -- listing and changing -----------------------------------------------------------------------

def create_product(session: Session, actor: User, data: Mapping[str, Any], evidence: Upload | None = None,
                   upload_dir: str | Path | None = None) -> Product:
    """A certified provider lists a product: a draft with its first version, to be submitted."""
    org = _active_provider(session, actor)
    values, inputs = read_listing(data, partial=False)
    url = values.pop("evidence_url", None)
    if evidence and "market_price_evidence" in inputs.errors:  # a file replaces a bad link
        inputs.errors.pop("market_price_evidence")
        url = None
    check_listing({**values, **evidence_fields(None, url)}, inputs, data, has_file=bool(evidence))
    stored = store_evidence(evidence, upload_dir)
    try:
        at = clock.now()
        product = Product(provider_id=org.id, status=ProductStatus.DRAFT, created_at=at, updated_at=at)
        session.add(product)
        session.flush()
        version = ProductVersion(product_id=product.id, number=1, created_by_id=actor.id, created_at=at,
                                 **{**values, **evidence_fields(stored, url)})
        session.add(version)
        session.flush()
        _set_current(product, version)
        record(session, actor, "product", product.id, "create", None,
               {"status": product.status.value, "version_id": version.id, **audit_content(version.content())})
        session.commit()
    except Exception:
        session.rollback()
        remove_evidence(upload_dir, stored)
        raise
    return product


def edit_product(session: Session, actor: User, product_id: int, data: Mapping[str, Any],
                 evidence: Upload | None = None, upload_dir: str | Path | None = None) -> Product:
    """The owner changes any of the fields. A draft is changed in place; a submitted version is
    frozen, so the change becomes a new version. A published product keeps selling its approved
    version until the new one passes both reviews (第十七条)."""
    product = _own_product(session, actor, product_id)
    _active_provider(session, actor)
    if product.status in IN_REVIEW:
        raise InvalidState(_l("The product is being reviewed; you can change it once the review is done."))
    base = product.current_version
    values, inputs = read_listing(data, partial=True)
    url = values.pop("evidence_url", None)
    if evidence and "market_price_evidence" in inputs.errors:
        inputs.errors.pop("market_price_evidence")
        url = None
    before = base.content()
    merged = dict(before)
    merged.update({k: v for k, v in values.items() if v is not None})
    if url:
        merged.update(evidence_fields(None, url))
    check_listing(merged, inputs, data, has_file=bool(evidence))
    stored = store_evidence(evidence, upload_dir)
    if stored is not None:
        merged.update(evidence_fields(stored, None))
    changed = {k for k in merged if merged[k] != before[k]}
    if not changed:
        return product
    try:
        at = clock.now()
        if base.frozen:
            version = ProductVersion(product_id=product.id, number=base.number + 1, created_by_id=actor.id,
                                     created_at=at, **merged)
            session.add(version)
            session.flush()
            _set_current(product, version)
        else:
            version = base
            for name in changed:
                setattr(version, name, merged[name])
        product.updated_at = at
        record(session, actor, "product", product.id, "edit",
               {"version_id": base.id, **audit_content({k: before[k] for k in sorted(changed)})},
               {"version_id": version.id, **audit_content({k: merged[k] for k in sorted(changed)})})
        session.commit()
    except Exception:
        session.rollback()
        remove_evidence(upload_dir, stored)
        raise
    return product


def submit_product(session: Session, actor: User, product_id: int) -> Product:
    """The owner sends the latest version to review (the operator first); from now on it is frozen."""
    product = _own_product(session, actor, product_id)
    _active_provider(session, actor)
    if product.status == ProductStatus.PUBLISHED and not product.has_pending_revision:
        raise InvalidState(_l("Nothing to submit: the published version is unchanged. Change the product first."))
    version = product.current_version
    at = clock.now()
    PRODUCT.next(product.status, "submit")
    if not version.frozen:
        version.submitted_at = at
    change_state(session, product, PRODUCT, "submit", actor, subject_type="product", queued_at=at, updated_at=at,
                 status_reason=None)
    session.commit()
    return product


def review_product(session: Session, actor: User, product_id: int, decision: Any, reason: Any) -> Product:
    """Two-stage review (第十七条): the operator approves a submitted product, then the authority
    publishes it; either may reject it with a reason the provider reads. Publishing puts the reviewed
    version on sale, replacing the one before in the same step."""
    if actor.role not in (Role.OPERATOR, Role.AUTHORITY):
        raise Forbidden()
    inputs = Inputs({"decision": decision, "reason": reason})
    decision = inputs.choice("decision", ["approve", "reject"])
    reason = inputs.text("reason", required=decision == "reject", max_length=REASON_MAX)
    inputs.check()
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound()
    stage = actor.role.value
    waiting_status, approve_action = REVIEW_STAGES[stage]
    if product.status != waiting_status:
        if product.status == ProductStatus.SUBMITTED:
            raise InvalidState(_l("The operator reviews this product first."))
        if product.status == ProductStatus.OPERATOR_APPROVED:
            raise InvalidState(_l("The operator has approved this product; it waits for the authority."))
        raise InvalidState(_l("This product is not waiting for a review (it is “%(status)s”).",
                              status=label(product.status)))
    version = product.current_version
    at = clock.now()
    if decision == "reject":
        change_state(session, product, PRODUCT, "reject", actor, subject_type="product", status_reason=reason,
                     queued_at=None, updated_at=at)
    elif stage == "operator":
        change_state(session, product, PRODUCT, approve_action, actor, subject_type="product", queued_at=at,
                     updated_at=at, status_reason=None)
    else:
        if product.published_version_id is None:
            product.listed_at = at
        _set_published(product, version)
        change_state(session, product, PRODUCT, approve_action, actor, subject_type="product", queued_at=None,
                     updated_at=at, status_reason=None, delisted_at=None)
    session.add(ProductReview(product_id=product.id, version_id=version.id, stage=stage, decision=decision,
                              reason=reason, reviewer_id=actor.id, decided_at=at))
    session.commit()
    return product


def delist_product(session: Session, actor: User, product_id: int, reason: Any) -> Product:
    """The provider withdraws its product, or the operator forces it out of the catalogue (下架) with
    a reason. Nothing is deleted: orders keep the version they bought."""
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound()
    if actor.role == Role.PROVIDER:
        if not actor.belongs_to(product.provider_id):
            raise NotFound()
    elif actor.role != Role.OPERATOR:
        raise Forbidden()
    inputs = Inputs({"reason": reason})
    reason = inputs.text("reason", required=actor.role == Role.OPERATOR, max_length=REASON_MAX)
    inputs.check()
    delist(session, product, actor, reason, clock.now())
    session.commit()
    return product


def delist(session: Session, product: Product, actor: User | None, reason: Any, at: dt.datetime) -> None:
    """Take a product off sale (a helper: never commits; ``catalog.providers`` delists a leaving provider's)."""
    _set_published(product, None)
    change_state(session, product, PRODUCT, "delist", actor, subject_type="product", status_reason=reason,
                 queued_at=None, delisted_at=at, updated_at=at)
