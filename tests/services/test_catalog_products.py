"""Listing, changing, reviewing and delisting products (第十一条, 第十七条), on a real session."""

import io

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from catalog import queries, services
from catalog.listing import ListingInput, Upload
from catalog.models import Product, ProductReview, ProductVersion
from catalog.states import ProductStatus
from orgs.states import OrgStatus
from shop.audit import AuditEntry
from shop.audit_chain import verify_chain
from shop.errors import DomainError
from shop.states import Role
from tests.catalog_helpers import approve_both, change, decide, listing, make_product, make_provider, reviewers
from tests.helpers import PDF, make_org, make_staff, member


def trail(session, product_id):
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "product", AuditEntry.subject_id == product_id)
        .order_by(AuditEntry.id)
    ).all()


def on_sale(session, product_id):
    return queries.versions_on_sale(session, [product_id]).get(product_id)


# -- listing --------------------------------------------------------------------------------------


def test_a_certified_provider_lists_a_draft_with_its_first_version(session):
    provider = make_provider(session)
    product = services.create_product(
        session,
        member(provider),
        ListingInput.from_input(listing(name="对象存储 OSS 1TB/年", price_fen=118_800, market_price_fen=142_800)),
    )
    assert product.status == ProductStatus.DRAFT and product.provider_id == provider.id
    version = product.current_version
    assert (version.number, version.name, version.price_fen, version.submitted_at) == (
        1,
        "对象存储 OSS 1TB/年",
        118_800,
        None,
    )
    assert product.published_version_id is None and on_sale(session, product.id) is None
    entry = trail(session, product.id)[0]
    assert entry.action == "create" and entry.after["price_fen"] == 118_800 and entry.after["status"] == "draft"


def test_the_price_may_not_exceed_the_market_price_and_the_message_states_both(session):
    provider = make_provider(session)
    with pytest.raises(DomainError) as caught:
        services.create_product(
            session, member(provider), ListingInput.from_input(listing(price_fen=130_000, market_price_fen=123_456))
        )
    assert caught.value.code == "price_above_market" and caught.value.status == 422
    message = str(caught.value.errors["price_fen"][0])
    assert "¥1,300.00" in message and "¥1,234.56" in message
    assert session.scalar(select(Product.id)) is None


def test_a_price_equal_to_the_market_price_is_fine(session):
    product = services.create_product(
        session, member(make_provider(session)), ListingInput.from_input(listing(price_fen=5000, market_price_fen=5000))
    )
    assert product.current_version.price_fen == 5000


def test_every_faulty_field_is_reported_at_once(session):
    with pytest.raises(DomainError) as caught:
        services.create_product(
            session,
            member(make_provider(session)),
            ListingInput.from_input(
                {
                    "layer": "cloud",
                    "category": "storage",
                    "name": "x",
                    "description": "short",
                    "price_fen": -1,
                    "market_price_fen": "12.5",
                    "market_price_evidence": "javascript:alert(1)",
                }
            ),
        )
    assert caught.value.code == "validation_error"
    assert set(caught.value.errors) == {
        "layer",
        "name",
        "description",
        "unit",
        "price_fen",
        "market_price_fen",
        "market_price_evidence",
    }


def test_the_category_must_belong_to_the_layer(session):
    with pytest.raises(DomainError) as caught:
        services.create_product(
            session,
            member(make_provider(session)),
            ListingInput.from_input(listing(layer="platform", category="storage")),
        )
    assert caught.value.code == "validation_error"
    assert "平台" in str(caught.value.errors["category"][0]) or "Platform" in str(caught.value.errors["category"][0])


def test_market_price_evidence_is_a_link_or_an_uploaded_quote(session, tmp_path):
    owner = member(make_provider(session))
    data = listing()
    del data["market_price_evidence"]
    with pytest.raises(DomainError) as caught:
        services.create_product(session, owner, ListingInput.from_input(data))
    assert "market_price_evidence" in caught.value.errors
    product = services.create_product(
        session, owner, ListingInput.from_input(data, evidence=Upload(io.BytesIO(PDF), "报价单.pdf")), tmp_path
    )
    version = product.current_version
    assert version.evidence_kind == "quote" and version.evidence_original_name == "报价单.pdf"
    assert (tmp_path / version.evidence_stored_name).read_bytes() == PDF
    with pytest.raises(DomainError) as caught:
        services.create_product(
            session,
            owner,
            ListingInput.from_input(data, evidence=Upload(io.BytesIO(b"MZ\x90\x00 not a pdf"), "q.pdf")),
            tmp_path,
        )
    assert "PDF" in str(caught.value.errors["market_price_evidence"][0])


def test_only_certified_providers_that_are_not_leaving_list_products(session):
    pending = make_provider(session, status=OrgStatus.UNDER_REVIEW)
    with pytest.raises(DomainError) as caught:
        services.create_product(session, member(pending), ListingInput.from_input(listing()))
    assert caught.value.code == "not_certified"
    enterprise = make_org(session)
    with pytest.raises(DomainError) as caught:
        services.create_product(session, member(enterprise), ListingInput.from_input(listing()))
    assert caught.value.code == "forbidden"


# -- two-stage review -----------------------------------------------------------------------------


def test_the_operator_then_the_authority_approve_and_the_product_is_on_sale(session):
    product = make_product(session, status="submitted")
    version = product.current_version
    assert version.submitted_at is not None and product.queued_at is not None
    services.review_product(session, reviewers(session).operator, product.id, decide("approve", None))
    assert product.status == ProductStatus.OPERATOR_APPROVED and on_sale(session, product.id) is None
    services.review_product(session, reviewers(session).authority, product.id, decide("approve", None))
    assert product.status == ProductStatus.PUBLISHED
    assert product.published_version_id == version.id and product.listed_at is not None
    assert on_sale(session, product.id).id == version.id
    assert [e.action for e in trail(session, product.id)] == [
        "create",
        "submit",
        "operator_approve",
        "authority_approve",
    ]
    last = trail(session, product.id)[-1]
    assert last.before["status"] == "operator_approved" and last.after == {
        "status": "published",
        "reason": None,
        "current_version_id": version.id,
        "published_version_id": version.id,
    }
    stages = session.scalars(
        select(ProductReview.stage).where(ProductReview.product_id == product.id).order_by(ProductReview.id)
    ).all()
    assert stages == ["operator", "authority"]
    assert verify_chain(session).ok


def test_each_reviewer_acts_only_at_their_stage(session):
    product = make_product(session, status="submitted")
    with pytest.raises(DomainError) as caught:
        services.review_product(session, reviewers(session).authority, product.id, decide("approve", None))
    assert caught.value.code == "invalid_state"
    services.review_product(session, reviewers(session).operator, product.id, decide("approve", None))
    with pytest.raises(DomainError) as caught:
        services.review_product(session, reviewers(session).operator, product.id, decide("approve", None))
    assert caught.value.code == "invalid_state"
    with pytest.raises(DomainError) as caught:
        services.review_product(session, member(make_provider(session)), product.id, decide("approve", None))
    assert caught.value.code == "forbidden"


def test_a_rejection_needs_a_reason_which_the_provider_reads(session):
    product = make_product(session, status="submitted")
    with pytest.raises(DomainError) as caught:
        services.review_product(session, reviewers(session).operator, product.id, decide("reject", "  "))
    assert caught.value.code == "validation_error" and "reason" in caught.value.errors
    with pytest.raises(DomainError) as caught:
        services.review_product(session, reviewers(session).operator, product.id, decide("maybe", "x"))
    assert "decision" in caught.value.errors
    services.review_product(session, reviewers(session).operator, product.id, decide("reject", "价格依据链接打不开"))
    assert product.status == ProductStatus.REJECTED and product.status_reason == "价格依据链接打不开"


def test_a_rejected_product_is_changed_as_a_new_version_and_submitted_again(session):
    product = make_product(session, status="rejected")
    owner = member(product.provider)
    first = product.current_version
    services.edit_product(
        session, owner, product.id, change({"market_price_evidence": "https://cloud.tencent.com/pricing"})
    )
    assert product.status == ProductStatus.REJECTED  # the reason stays in view until resubmitted
    assert product.current_version.number == 2 and product.current_version.evidence_url.endswith("/pricing")
    assert first.evidence_url != product.current_version.evidence_url  # the rejected version is kept as it was
    services.submit_product(session, owner, product.id)
    assert product.status == ProductStatus.SUBMITTED and product.status_reason is None
    approve_both(session, product.id)
    assert on_sale(session, product.id).number == 2


def test_a_product_in_review_cannot_be_changed(session):
    product = make_product(session, status="operator_approved")
    with pytest.raises(DomainError) as caught:
        services.edit_product(session, member(product.provider), product.id, change({"price_fen": 100}))
    assert caught.value.code == "invalid_state"


def test_a_draft_is_changed_in_place_and_every_change_is_audited(session):
    product = make_product(session, status="draft")
    services.edit_product(
        session, member(product.provider), product.id, change({"name": "云硬盘 SSD 500GB", "unit": "月"})
    )
    assert product.current_version.number == 1 and product.current_version.name == "云硬盘 SSD 500GB"
    edit = trail(session, product.id)[-1]
    assert edit.action == "edit" and "name" in edit.before and edit.after["name"] == "云硬盘 SSD 500GB"
    assert "unit" not in edit.after  # unchanged fields are not recorded as changes


def test_the_price_rule_holds_on_every_edit_against_the_merged_listing(session):
    product = make_product(session, status="draft", price_fen=10_000, market_price_fen=12_000)
    owner = member(product.provider)
    with pytest.raises(DomainError) as caught:
        services.edit_product(session, owner, product.id, change({"price_fen": 12_001}))
    assert caught.value.code == "price_above_market" and "¥120.01" in str(caught.value.detail)
    with pytest.raises(DomainError) as caught:
        services.edit_product(session, owner, product.id, change({"market_price_fen": 9_999}))
    assert caught.value.code == "price_above_market"
    with pytest.raises(DomainError) as caught:
        services.edit_product(session, owner, product.id, change({"layer": "application"}))  # compute is not an app
    assert "category" in caught.value.errors
    assert product.current_version.price_fen == 10_000


# -- revisions of published products --------------------------------------------------------------


def test_a_change_to_a_published_product_keeps_the_approved_version_on_sale_until_both_reviews_pass(session):
    product = make_product(session, price_fen=118_800, market_price_fen=142_800, name="对象存储 OSS 1TB/年")
    owner = member(product.provider)
    v1 = product.published_version
    listed_at = product.listed_at
    services.edit_product(
        session, owner, product.id, change({"price_fen": 109_900, "name": "对象存储 OSS 1TB/年 促销"})
    )
    v2 = product.current_version
    assert v2.number == 2 and v2.id != v1.id and product.status == ProductStatus.PUBLISHED
    assert product.has_pending_revision and on_sale(session, product.id).price_fen == 118_800
    services.edit_product(session, owner, product.id, change({"unit": "年"}))  # still a draft: changed in place
    assert product.current_version.id == v2.id
    services.submit_product(session, owner, product.id)
    assert product.status == ProductStatus.SUBMITTED and on_sale(session, product.id).id == v1.id
    services.review_product(session, reviewers(session).operator, product.id, decide("approve", None))
    assert on_sale(session, product.id).id == v1.id
    services.review_product(session, reviewers(session).authority, product.id, decide("approve", None))
    assert product.status == ProductStatus.PUBLISHED and product.published_version_id == v2.id
    assert on_sale(session, product.id).price_fen == 109_900
    assert product.listed_at == listed_at  # a revision is not a new listing
    versions = session.scalars(
        select(ProductVersion).where(ProductVersion.product_id == product.id).order_by(ProductVersion.number)
    ).all()
    assert [(v.number, v.price_fen) for v in versions] == [(1, 118_800), (2, 109_900)]  # versions are kept


def test_a_rejected_revision_leaves_the_published_version_on_sale(session):
    product = make_product(session)
    owner = member(product.provider)
    services.edit_product(session, owner, product.id, change({"price_fen": 100}))
    services.submit_product(session, owner, product.id)
    services.review_product(session, reviewers(session).operator, product.id, decide("reject", "降价幅度存疑"))
    assert product.status == ProductStatus.REJECTED
    assert on_sale(session, product.id).price_fen == 18_900


def test_nothing_to_submit_when_the_published_version_is_unchanged(session):
    product = make_product(session)
    with pytest.raises(DomainError) as caught:
        services.submit_product(session, member(product.provider), product.id)
    assert caught.value.code == "invalid_state"
    services.edit_product(
        session, member(product.provider), product.id, change({"price_fen": 18_900})
    )  # no real change
    assert not product.has_pending_revision


def test_submitted_versions_are_frozen_by_the_database(session, app):
    product = make_product(session, status="submitted")
    version_id = product.current_version_id
    engine = app.extensions["shop.engine"]
    with pytest.raises(DBAPIError):
        with engine.begin() as connection:
            connection.execute(text("UPDATE product_versions SET price_fen = 1 WHERE id = :id"), {"id": version_id})
    with pytest.raises(DBAPIError):
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM product_versions WHERE id = :id"), {"id": version_id})
    product.current_version.price_fen = 1
    with pytest.raises(RuntimeError):
        session.flush()
    session.rollback()


def test_the_database_refuses_a_price_above_the_market_whatever_the_code_does(session, app):
    product = make_product(session, status="draft")
    with pytest.raises(DBAPIError):
        with app.extensions["shop.engine"].begin() as connection:
            connection.execute(
                text("UPDATE product_versions SET price_fen = market_price_fen + 1 WHERE id = :id"),
                {"id": product.current_version_id},
            )


# -- delisting ------------------------------------------------------------------------------------


def test_the_owner_delists_and_the_product_comes_back_only_through_both_reviews(session):
    product = make_product(session)
    owner = member(product.provider)
    services.delist_product(session, owner, product.id, None)
    assert product.status == ProductStatus.DELISTED and on_sale(session, product.id) is None
    assert product.published_version_id is None and product.delisted_at is not None
    services.submit_product(session, owner, product.id)
    assert on_sale(session, product.id) is None
    approve_both(session, product.id)
    assert on_sale(session, product.id) is not None


def test_the_operator_forces_delisting_with_a_reason_the_authority_cannot(session):
    product = make_product(session)
    with pytest.raises(DomainError) as caught:
        services.delist_product(session, reviewers(session).operator, product.id, "")
    assert caught.value.code == "validation_error"
    with pytest.raises(DomainError) as caught:
        services.delist_product(session, reviewers(session).authority, product.id, "x")
    assert caught.value.code == "forbidden"
    services.delist_product(session, reviewers(session).operator, product.id, "虚假宣传")
    assert product.status_reason == "虚假宣传"
    with pytest.raises(DomainError) as caught:
        services.delist_product(session, reviewers(session).operator, product.id, "again")
    assert caught.value.code == "invalid_state"


# -- ownership ------------------------------------------------------------------------------------


def test_a_provider_never_sees_nor_changes_another_providers_products(session):
    draft = make_product(session, status="draft")
    published = make_product(session)
    stranger = member(make_provider(session))
    for product in (draft, published):
        for call in (
            lambda p: services.edit_product(session, stranger, p.id, change({"price_fen": 1})),
            lambda p: services.submit_product(session, stranger, p.id),
            lambda p: services.delist_product(session, stranger, p.id, None),
            lambda p: queries.versions_of(session, stranger, p.id),
        ):
            with pytest.raises(DomainError) as caught:
                call(product)
            assert caught.value.code == "not_found"
    with pytest.raises(DomainError) as caught:
        queries.get_product(session, stranger, draft.id)
    assert caught.value.code == "not_found"
    assert queries.get_product(session, stranger, published.id).id == published.id
    assert queries.get_product(session, None, published.id).id == published.id
    assert queries.get_product(session, make_staff(session, Role.AUTHORITY), draft.id).id == draft.id
    with pytest.raises(DomainError):
        queries.provider_products(session, stranger, draft.provider_id, status=None, page=1, per_page=10)


def test_review_queues_are_oldest_first_and_counted_per_stage(session):
    first = make_product(session, status="submitted")
    second = make_product(session, status="submitted")
    third = make_product(session, status="operator_approved")
    operator, authority = reviewers(session).operator, reviewers(session).authority
    assert [p.id for p in queries.review_queue(session, operator, 1, 10).items] == [first.id, second.id]
    assert [p.id for p in queries.review_queue(session, authority, 1, 10).items] == [third.id]
    assert queries.review_queue_count(session, operator) == 2 and queries.review_queue_count(session, authority) == 1
    assert queries.review_queue_count(session, member(first.provider)) == 0


def test_control_characters_are_refused_not_stored(session):
    with pytest.raises(DomainError) as caught:
        services.create_product(
            session,
            member(make_provider(session)),
            ListingInput.from_input(listing(name="云服务器\x00", description="描述文字\x07足够长的一段描述")),
        )
    assert set(caught.value.errors) == {"name", "description"}
