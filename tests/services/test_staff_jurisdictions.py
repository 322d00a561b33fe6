"""Staff scoped to a jurisdiction see, certify and grant only what lies under it (a city operator of
Guiyang, 5201: a Guiyang enterprise, not a Zunyi one, 5203); province staff see all. And an
organisation whose region is not the division code in its credit code is certified only with a note
saying why, audited with the decision."""

import itertools

import pytest
from sqlalchemy import select

from orgs import services
from orgs.commands import OrganisationFilter, Registration
from orgs.models import Organisation
from orgs.states import OrgStatus
from shop.audit import AuditEntry
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import (
    JPEG,
    PDF,
    PNG,
    make_org,
    make_programme,
    make_staff,
    member,
    registration,
    unique_uscc,
    upload,
)
from wallet import ledger
from wallet import services as wallet
from wallet.states import AccountKind, ApplicationStatus

GUIYANG, ZUNYI = "520102", "520302"
_names = itertools.count(1)  # 南明区, 红花岗区


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def submitted(session, app, region_code, **overrides):
    """An enterprise registered in ``region_code`` with its documents in the certification queue."""
    org = services.register_organisation(
        session,
        Registration.from_input(
            registration(region_code=region_code, name=f"测试{region_code}企业{next(_names)}有限公司", **overrides)
        ),
    )
    files = {"business_licence": upload(PDF), "realname_form": upload(JPEG), "contact_id_card": upload(PNG)}
    return services.submit_certification(session, member(org), org.id, files, app.config["UPLOAD_DIR"])


def names(page):
    return {o.name for o in page.items}


def test_a_city_operator_sees_and_certifies_only_the_organisations_of_its_city(session, app):
    guiyang, zunyi = submitted(session, app, GUIYANG), submitted(session, app, ZUNYI)
    city, province = make_staff(session, jurisdiction="5201"), make_staff(session)

    assert [o.id for o in services.review_queue(session, city, 1, 20).items] == [guiyang.id]
    assert services.review_queue_count(session, city) == 1
    assert names(services.list_organisations(session, city, OrganisationFilter(), 1, 20)) == {guiyang.name}
    assert services.get_organisation(session, city, guiyang.id) is guiyang
    with pytest.raises(DomainError) as caught:
        services.get_organisation(session, city, zunyi.id)
    assert caught.value.code == "not_found"
    document = services.latest_submission(session, zunyi.id).documents[0]
    with pytest.raises(DomainError):
        services.certification_document(session, city, document.id)

    with pytest.raises(DomainError) as caught:
        services.review_organisation(session, city, zunyi.id, Decision(True))
    assert caught.value.code == "not_found"
    assert session.get(Organisation, zunyi.id).status == OrgStatus.UNDER_REVIEW
    assert services.review_organisation(session, city, guiyang.id, Decision(True)).status == OrgStatus.CERTIFIED

    assert services.review_queue_count(session, province) == 1
    assert names(services.list_organisations(session, province, OrganisationFilter(), 1, 20)) == {
        guiyang.name,
        zunyi.name,
    }
    assert services.certification_document(session, province, document.id) is document
    assert services.review_organisation(session, province, zunyi.id, Decision(True)).status == OrgStatus.CERTIFIED


def test_a_scoped_authority_lists_only_its_jurisdiction_and_a_district_only_its_district(session):
    guiyang, zunyi = make_org(session, region_code=GUIYANG), make_org(session, region_code=ZUNYI)
    other_district = make_org(session, region_code="520103")
    zunyi_authority = make_staff(session, Role.AUTHORITY, jurisdiction="5203")
    assert names(services.list_organisations(session, zunyi_authority, OrganisationFilter(), 1, 20)) == {zunyi.name}
    nanming = make_staff(session, Role.AUTHORITY, jurisdiction=GUIYANG)
    assert names(services.list_organisations(session, nanming, OrganisationFilter(), 1, 20)) == {guiyang.name}
    with pytest.raises(DomainError):
        services.get_organisation(session, nanming, other_district.id)


def test_a_city_operator_grants_only_the_quota_applications_of_its_city(session):
    make_programme(session)
    guiyang, zunyi = make_org(session, region_code=GUIYANG), make_org(session, region_code=ZUNYI)
    mine = wallet.apply_for_quota(session, member(guiyang), 2026)
    theirs = wallet.apply_for_quota(session, member(zunyi), 2026)
    city, province = make_staff(session, jurisdiction="5201"), make_staff(session)

    assert [a.id for a in wallet.application_queue(session, city, 1, 20).items] == [mine.id]
    assert wallet.pending_count(session, city) == 1
    assert wallet.get_application(session, city, mine.id) is mine
    with pytest.raises(DomainError) as caught:
        wallet.get_application(session, city, theirs.id)
    assert caught.value.code == "not_found"

    budget = ledger.balance(session, AccountKind.BUDGET, 2026)
    with pytest.raises(DomainError) as caught:
        wallet.review_application(session, city, theirs.id, Decision(True))
    assert caught.value.code == "not_found"
    with pytest.raises(DomainError):  # all or none: the one of Zunyi stops the batch
        wallet.review_applications(session, city, [mine.id, theirs.id], Decision(True))
    session.expire_all()
    assert (mine.status, theirs.status) == (ApplicationStatus.PENDING, ApplicationStatus.PENDING)
    assert ledger.balance(session, AccountKind.BUDGET, 2026) == budget

    assert wallet.review_application(session, city, mine.id, Decision(True)).status == ApplicationStatus.GRANTED
    assert {a.id for a in wallet.application_queue(session, province, 1, 20, status="").items} == {mine.id, theirs.id}
    assert wallet.pending_count(session, province) == 1
    assert wallet.review_application(session, province, theirs.id, Decision(True)).status == ApplicationStatus.GRANTED


def test_a_city_operator_cannot_suspend_reinstate_or_expel_another_citys_organisation(session):
    from catalog.providers import expel_organisation
    from orgs.commands import SuspensionInput
    from orgs.sanctions import reinstate_organisation, suspend_organisation
    from shop.inputs import ReasonInput
    from tests.catalog_helpers import expulsion

    guiyang, zunyi = make_org(session, region_code=GUIYANG), make_org(session, region_code=ZUNYI)
    city = make_staff(session, jurisdiction="5201")
    for act in (
        lambda: suspend_organisation(session, city, zunyi.id, SuspensionInput("违规")),
        lambda: reinstate_organisation(session, city, zunyi.id, ReasonInput("整改完毕")),
        lambda: expel_organisation(session, city, zunyi.id, expulsion("骗取补贴")),
    ):
        with pytest.raises(DomainError) as caught:
            act()
        assert caught.value.code == "not_found"
    assert session.get(Organisation, zunyi.id).status == OrgStatus.CERTIFIED
    assert suspend_organisation(session, city, guiyang.id, SuspensionInput("违规")).status == OrgStatus.SUSPENDED


def test_a_region_that_differs_from_the_credit_code_is_registered_but_certified_only_with_a_note(session, app):
    # registered by Zunyi's bureau (520302 in the code), now in Guiyang
    org = submitted(session, app, GUIYANG, uscc=unique_uscc(ZUNYI))
    assert org.status == OrgStatus.UNDER_REVIEW
    operator = make_staff(session)
    with pytest.raises(DomainError) as caught:
        services.review_organisation(session, operator, org.id, Decision(True))
    assert caught.value.code == "region_mismatch" and caught.value.status == 422
    assert "region_note" in caught.value.errors and "520302" in str(caught.value.detail)
    assert session.get(Organisation, org.id).status == OrgStatus.UNDER_REVIEW

    note = "2020 年由遵义市迁至贵阳市南明区"
    certified = services.review_organisation(session, operator, org.id, Decision(True), region_note=note)
    assert (certified.status, certified.region_note) == (OrgStatus.CERTIFIED, note)
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "organisation", AuditEntry.subject_id == org.id, AuditEntry.action == "approve"
        )
    ).one()
    assert entry.after["region_note"] == note and "region_note" not in entry.before


def test_a_rejection_needs_no_region_note_and_a_recorded_note_serves_the_next_decision(session, app):
    org = submitted(session, app, GUIYANG, uscc=unique_uscc(ZUNYI))
    operator = make_staff(session)
    services.review_organisation(session, operator, org.id, Decision(False, "执照模糊"), region_note="企业已迁址")
    files = {"business_licence": upload(PDF), "realname_form": upload(JPEG), "contact_id_card": upload(PNG)}
    services.submit_certification(session, member(org), org.id, files, app.config["UPLOAD_DIR"])
    assert services.review_organisation(session, operator, org.id, Decision(True)).region_note == "企业已迁址"


def test_agreeing_codes_and_credit_codes_of_no_current_division_need_no_note(session, app):
    operator = make_staff(session)
    agreeing = submitted(session, app, ZUNYI)
    old_code = submitted(session, app, GUIYANG, uscc=unique_uscc("520114"))  # 小河区, merged in 2012
    for org in (agreeing, old_code):
        certified = services.review_organisation(session, operator, org.id, Decision(True), region_note="不需要")
        assert certified.status == OrgStatus.CERTIFIED
    assert agreeing.region_note is None and old_code.region_note is None  # nothing to explain: not kept
