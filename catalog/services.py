"""Use cases of the catalogue's products (第十一条, 第十七条): listing, changing, submitting, reviewing
and delisting. The reading and searching are ``catalog.queries``, the reading of a listing's fields
``catalog.listing``, a provider's exit and expulsion ``catalog.providers``.

Each public function that changes something is a ``@use_case``: it takes typed input (a
``ListingInput``, a ``Decision``, a reason), commits once on success; a refusal raises DomainError
(API.md's codes) and leaves nothing behind, not even a stored quote file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from catalog.listing import ListingInput, Upload, audit_content, evidence_fields, remove_evidence, store_evidence
from catalog.models import Product, ProductReview, ProductVersion
from catalog.states import IN_REVIEW, PRODUCT, REVIEW_STAGES, ProductStatus
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from orgs.states import OrgStatus
from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, InvalidState, NotFound, ValidationError
from shop.i18n import _l
from shop.inputs import Decision
from shop.labels import label
from shop.states import Role
from shop.uploads import StoredFile

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
        raise InvalidState(
            _l(
                "Your organisation is leaving the platform on %(day)s: it no longer lists or changes products.",
                day=org.exit_effective_on.isoformat(),
            )
        )
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


def product_actions(actor: User | None, product: Product) -> set[str]:
    """What ``actor`` may do to ``product`` now, for the pages to offer: its provider changes it
    (``edit``, not while in review, only while certified), submits it (``submit``: a new or changed
    version) and delists it; a reviewer reviews it at its stage (``review``); the operator delists it."""
    actions: set[str] = set()
    if actor is None:
        return actions
    status = product.status
    if actor.role == Role.PROVIDER and actor.belongs_to(product.provider_id):
        if not product.in_review and product.provider.status == OrgStatus.CERTIFIED:
            actions.add("edit")
            if PRODUCT.can(status, "submit") and (status != ProductStatus.PUBLISHED or product.has_pending_revision):
                actions.add("submit")
        if PRODUCT.can(status, "delist"):
            actions.add("delist")
    elif actor.role.value in REVIEW_STAGES:
        if REVIEW_STAGES[actor.role.value][0] == status:
            actions.add("review")
        if actor.role == Role.OPERATOR and PRODUCT.can(status, "delist"):
            actions.add("delist")
    return actions


# -- listing and changing -----------------------------------------------------------------------


@contextmanager
def _stored(evidence: Upload | None, upload_dir: str | Path | None) -> Iterator[StoredFile | None]:
    """The quote file, stored for the use case; removed again if the use case fails."""
    stored = store_evidence(evidence, upload_dir)
    try:
        yield stored
    except BaseException:
        remove_evidence(upload_dir, stored)
        raise


@use_case
def create_product(
    session: Session, actor: User, listing: ListingInput, upload_dir: str | Path | None = None
) -> Product:
    """A certified provider lists a product: a draft with its first version, to be submitted."""
    org = _active_provider(session, actor)
    listing.check(listing.merged({}))
    with _stored(listing.evidence, upload_dir) as stored:
        at = clock.now()
        product = Product(provider_id=org.id, status=ProductStatus.DRAFT, created_at=at, updated_at=at)
        session.add(product)
        session.flush()
        version = ProductVersion(
            product_id=product.id,
            number=1,
            created_by_id=actor.id,
            created_at=at,
            **{**listing.values, **evidence_fields(stored, listing.evidence_url)},
        )
        session.add(version)
        session.flush()
        _set_current(product, version)
        record(
            session,
            actor,
            "product",
            product.id,
            "create",
            None,
            {"status": product.status.value, "version_id": version.id, **audit_content(version.content())},
        )
        session.commit()
    return product


@use_case
def edit_product(
    session: Session, actor: User, product_id: int, change: ListingInput, upload_dir: str | Path | None = None
) -> Product:
    """The owner changes any of the fields. A draft is changed in place; a submitted version is
    frozen, so the change becomes a new version. A published product keeps selling its approved
    version until the new one passes both reviews (第十七条)."""
    product = _own_product(session, actor, product_id)
    _active_provider(session, actor)
    if product.status in IN_REVIEW:
        raise InvalidState(_l("The product is being reviewed; you can change it once the review is done."))
    base = product.current_version
    before = base.content()
    merged = change.merged(before)
    change.check(merged)
    with _stored(change.evidence, upload_dir) as stored:
        if stored is not None:
            merged.update(evidence_fields(stored, None))
        changed = {k for k in merged if merged[k] != before[k]}
        if not changed:
            return product
        at = clock.now()
        if base.frozen:
            version = ProductVersion(
                product_id=product.id, number=base.number + 1, created_by_id=actor.id, created_at=at, **merged
            )
            session.add(version)
            session.flush()
            _set_current(product, version)
        else:
            version = base
            for name in changed:
                setattr(version, name, merged[name])
        product.updated_at = at
        record(
            session,
            actor,
            "product",
            product.id,
            "edit",
            {"version_id": base.id, **audit_content({k: before[k] for k in sorted(changed)})},
            {"version_id": version.id, **audit_content({k: merged[k] for k in sorted(changed)})},
        )
        session.commit()
    return product


@use_case
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
    change_state(
        session,
        product,
        PRODUCT,
        "submit",
        actor,
        subject_type="product",
        queued_at=at,
        updated_at=at,
        status_reason=None,
    )
    session.commit()
    return product


@use_case
def review_product(session: Session, actor: User, product_id: int, decision: Decision) -> Product:
    """Two-stage review (第十七条): the operator approves a submitted product, then the authority
    publishes it; either may reject it with a reason the provider reads. Publishing puts the reviewed
    version on sale, replacing the one before in the same step."""
    if actor.role not in (Role.OPERATOR, Role.AUTHORITY):
        raise Forbidden()
    reason = decision.reason
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
        raise InvalidState(
            _l("This product is not waiting for a review (it is “%(status)s”).", status=label(product.status))
        )
    version = product.current_version
    at = clock.now()
    if not decision.approve:
        change_state(
            session,
            product,
            PRODUCT,
            "reject",
            actor,
            subject_type="product",
            status_reason=reason,
            queued_at=None,
            updated_at=at,
        )
    elif stage == "operator":
        change_state(
            session,
            product,
            PRODUCT,
            approve_action,
            actor,
            subject_type="product",
            queued_at=at,
            updated_at=at,
            status_reason=None,
        )
    else:
        if product.published_version_id is None:
            product.listed_at = at
        _set_published(product, version)
        change_state(
            session,
            product,
            PRODUCT,
            approve_action,
            actor,
            subject_type="product",
            queued_at=None,
            updated_at=at,
            status_reason=None,
            delisted_at=None,
        )
    session.add(
        ProductReview(
            product_id=product.id,
            version_id=version.id,
            stage=stage,
            decision=decision.value,
            reason=reason,
            reviewer_id=actor.id,
            decided_at=at,
        )
    )
    session.commit()
    return product


@use_case
def delist_product(session: Session, actor: User, product_id: int, reason: str | None = None) -> Product:
    """The provider withdraws its product, or the operator forces it out of the catalogue (下架) with
    a reason (``reason`` as ``ReasonInput`` reads it). Nothing is deleted: orders keep the version
    they bought."""
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound()
    if actor.role == Role.PROVIDER:
        if not actor.belongs_to(product.provider_id):
            raise NotFound()
    elif actor.role != Role.OPERATOR:
        raise Forbidden()
    reason = (reason or "").strip() or None
    if reason is None and actor.role == Role.OPERATOR:
        raise ValidationError({"reason": [_l("This field is required.")]})
    delist(session, product, actor, reason, clock.now())
    session.commit()
    return product


def delist(session: Session, product: Product, actor: User | None, reason: str | None, at: dt.datetime) -> None:
    """Take a product off sale (a helper: never commits; ``catalog.providers`` delists a leaving provider's)."""
    _set_published(product, None)
    change_state(
        session,
        product,
        PRODUCT,
        "delist",
        actor,
        subject_type="product",
        status_reason=reason,
        queued_at=None,
        delisted_at=at,
        updated_at=at,
    )
