"""Provider exit (第十二条): notice of 30 days, products gone on the effective date even if no job runs;
forced expulsion with every product delisted at once and the credit code blacklisted."""

import pytest
from sqlalchemy import select

from catalog import providers, queries, search, services
from catalog.listing import ListingInput
from catalog.models import Product
from catalog.providers import expel_provider
from catalog.states import ProductStatus
from orgs.models import BlacklistEntry
from orgs.services import Registration, register_organisation
from orgs.states import OrgStatus
from shop.audit import AuditEntry
from shop.audit_chain import verify_chain
from shop.errors import DomainError
from tests.catalog_helpers import expulsion, listing, make_product, make_provider, notice, reviewers
from tests.helpers import make_org, member, registration


def listed(session):
    query = search.CatalogueFilter.from_args({}, strict=True)
    return {p.id for p in search.search_catalogue(session, query, 1, 100).items}


def test_a_provider_gives_notice_and_leaves_thirty_days_on(session, today):
    today("2026-11-24")
    provider = make_provider(session)
    product = make_product(session, provider)
    org = providers.request_exit(session, member(provider), provider.id, notice("业务调整"))
    assert org.status == OrgStatus.EXITING and org.exit_effective_on.isoformat() == "2026-12-24"
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "organisation", AuditEntry.subject_id == provider.id)
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.action == "request_exit" and entry.after["exit_effective_on"] == "2026-12-24"
    # still on sale during the notice, but no new listings or changes
    assert product.id in listed(session)
    with pytest.raises(DomainError) as caught:
        services.create_product(session, member(provider), ListingInput.from_input(listing()))
    assert caught.value.code == "invalid_state"
    with pytest.raises(DomainError) as caught:
        providers.request_exit(session, member(provider), provider.id, notice("again"))
    assert caught.value.code == "invalid_state"


def test_products_leave_the_catalogue_on_the_effective_date_even_if_no_job_ran(session, today):
    today("2026-11-24")
    provider = make_provider(session)
    product = make_product(session, provider)
    providers.request_exit(session, member(provider), provider.id, notice("业务调整"))
    today("2026-12-23")
    assert product.id in listed(session)
    assert queries.versions_on_sale(session, [product.id])
    today("2026-12-24")
    assert product.id not in listed(session)  # filtered by the date at query time
    assert queries.versions_on_sale(session, [product.id]) == {}
    with pytest.raises(DomainError):
        queries.get_product(session, None, product.id)
    assert product.status == ProductStatus.PUBLISHED  # nothing has been recorded yet …
    assert providers.settle_exits(session) == 1  # … until the job (or the first request) runs
    session.refresh(product)
    assert product.status == ProductStatus.DELISTED and product.provider.status == OrgStatus.EXITED
    assert providers.settle_exits(session) == 0  # idempotent
    assert verify_chain(session).ok


def test_settling_leaves_other_providers_alone(session, today):
    today("2026-11-24")
    leaving, staying = make_provider(session), make_provider(session)
    gone, kept = make_product(session, leaving), make_product(session, staying)
    draft = make_product(session, leaving, status="draft")
    providers.request_exit(session, member(leaving), leaving.id, notice("业务调整"))
    today("2027-01-10")
    providers.settle_exits(session)
    session.refresh(gone), session.refresh(kept), session.refresh(draft)
    assert gone.status == draft.status == ProductStatus.DELISTED and kept.status == ProductStatus.PUBLISHED
    assert listed(session) == {kept.id}


def test_only_its_members_give_notice_for_a_provider(session):
    provider = make_provider(session)
    with pytest.raises(DomainError) as caught:
        providers.request_exit(session, member(make_provider(session)), provider.id, notice("x"))
    assert caught.value.code == "not_found"
    with pytest.raises(DomainError) as caught:
        providers.request_exit(session, member(provider), provider.id, notice(""))
    assert caught.value.code == "validation_error"


def test_expulsion_delists_every_product_at_once_and_can_blacklist_the_code(session):
    provider = make_provider(session)
    products = [
        make_product(session, provider),
        make_product(session, provider, status="submitted"),
        make_product(session, provider, status="draft"),
    ]
    services.delist_product(session, member(provider), make_product(session, provider).id, None)
    operator = reviewers(session).operator
    org = expel_provider(session, operator, provider.id, expulsion("骗取补贴", True))
    assert org.status == OrgStatus.EXPELLED and org.status_reason == "骗取补贴"
    statuses = session.scalars(select(Product.status).where(Product.provider_id == provider.id)).all()
    assert set(statuses) == {ProductStatus.DELISTED}
    assert all(p.id not in listed(session) for p in products)
    assert session.scalar(select(BlacklistEntry.uscc).where(BlacklistEntry.uscc == provider.uscc)) == provider.uscc
    with pytest.raises(DomainError) as caught:
        register_organisation(session, Registration.from_input(registration(kind="provider", uscc=provider.uscc)))
    assert caught.value.code == "blacklisted"
    with pytest.raises(DomainError) as caught:
        expel_provider(session, operator, provider.id, expulsion("again", False))
    assert caught.value.code == "invalid_state"
    assert verify_chain(session).ok


def test_expulsion_without_blacklisting_and_of_a_leaving_provider(session):
    provider = make_provider(session)
    providers.request_exit(session, member(provider), provider.id, notice("业务调整"))
    expel_provider(session, reviewers(session).operator, provider.id, expulsion("虚假服务", False))
    assert session.scalar(select(BlacklistEntry.id)) is None


def test_only_the_operator_expels(session):
    provider = make_provider(session)
    for who in (reviewers(session).authority, member(provider)):
        with pytest.raises(DomainError) as caught:
            expel_provider(session, who, provider.id, expulsion("x", False))
        assert caught.value.code == "forbidden"
    with pytest.raises(DomainError) as caught:  # not certified: nothing to expel it from
        expel_provider(
            session,
            reviewers(session).operator,
            make_org(session, status=OrgStatus.UNDER_REVIEW).id,
            expulsion("x", False),
        )
    assert caught.value.code == "invalid_state"
    with pytest.raises(DomainError) as caught:
        expel_provider(session, reviewers(session).operator, 999_999, expulsion("x", False))
    assert caught.value.code == "not_found"
    with pytest.raises(DomainError) as caught:
        expel_provider(session, reviewers(session).operator, provider.id, expulsion("", False))
    assert caught.value.code == "validation_error"
