import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from orgs import affiliations, blacklist, services
from orgs.commands import AffiliationInput, BlacklistInput
from orgs.models import CertificationSubmission, Organisation
from orgs.states import OrgStatus
from shop import calendar
from shop.audit import AuditEntry
from shop.audit_chain import verify_chain
from shop.errors import DomainError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import JPEG, PDF, PNG, make_org, make_staff, member, registration, upload


def register(session, **overrides):
    return services.register_organisation(session, services.Registration.from_input(registration(**overrides)))


def certification_files(kind="enterprise", **overrides):
    files = {"business_licence": upload(PDF, "licence.pdf"), "realname_form": upload(JPEG, "form.jpg")}
    if kind == "enterprise":
        files["contact_id_card"] = upload(PNG, "id.png")
    files.update(overrides)
    return files


def test_registration_creates_an_organisation_awaiting_certification_with_its_first_member(session):
    org = register(session, name="贵阳云测科技有限公司")
    assert org.status == OrgStatus.PENDING_CERTIFICATION
    assert org.members[0].role == Role.ENTERPRISE
    assert org.members[0].password_hash.startswith("pbkdf2:") and "correct-horse" not in org.members[0].password_hash
    trail = session.scalars(select(AuditEntry).where(AuditEntry.subject_id == org.id)).all()
    assert [e.action for e in trail] == ["register"]


def test_registration_reports_every_faulty_field_at_once(session, today):
    today("2026-11-24")
    with pytest.raises(DomainError) as caught:
        services.Registration.from_input(
            registration(region_code="999999", established_on="2027-01-01", password="short", email="not-an-email")
        )
    assert set(caught.value.errors) == {"region_code", "established_on", "password", "email"}
    assert caught.value.code == "validation_error"


def test_a_wrong_credit_code_alone_gives_invalid_uscc_with_what_is_wrong(session):
    with pytest.raises(DomainError) as caught:
        services.Registration.from_input(registration(uscc="91110000600037341X"))
    assert caught.value.code == "invalid_uscc"
    assert "check character" in str(caught.value.errors["uscc"][0])


def test_the_same_credit_code_cannot_register_twice(session):
    first = register(session)
    with pytest.raises(DomainError) as caught:
        register(session, uscc=first.uscc)
    assert caught.value.code == "duplicate_organisation"
    assert session.scalar(select(Organisation.id).where(Organisation.uscc == first.uscc)) == first.id


def test_a_blacklisted_code_is_refused(session):
    operator = make_staff(session, Role.OPERATOR)
    data = registration()
    blacklist.add_to_blacklist(
        session, operator, BlacklistInput.from_input({"uscc": data["uscc"], "reason": "骗取补贴"})
    )
    with pytest.raises(DomainError) as caught:
        services.register_organisation(session, services.Registration.from_input(data))
    assert caught.value.code == "blacklisted"


def test_certification_stores_recognised_files_and_queues_the_organisation(session, app):
    org = register(session)
    services.submit_certification(session, member(org), org.id, certification_files(), app.config["UPLOAD_DIR"])
    assert org.status == OrgStatus.UNDER_REVIEW
    submission = services.latest_submission(session, org.id)
    assert {d.kind: d.content_type for d in submission.documents} == {
        "business_licence": "application/pdf",
        "realname_form": "image/jpeg",
        "contact_id_card": "image/png",
    }
    stored = [d.stored_name for d in submission.documents]
    assert all(name not in ("licence.pdf", "form.jpg", "id.png") for name in stored)


def test_a_file_that_only_claims_to_be_a_pdf_is_refused_and_nothing_is_kept(session, app, tmp_path):
    org = register(session)
    files = certification_files(business_licence=upload(b"MZ\x90\x00 this is an exe", "licence.pdf"))
    with pytest.raises(DomainError) as caught:
        services.submit_certification(session, member(org), org.id, files, app.config["UPLOAD_DIR"])
    assert "business_licence" in caught.value.errors
    assert org.status == OrgStatus.PENDING_CERTIFICATION
    assert session.scalar(select(CertificationSubmission.id)) is None
    upload_dir = tmp_path / "uploads"
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_a_file_above_10_mb_is_refused(session, app):
    org = register(session)
    big = PDF + b"0" * (10 * 1024 * 1024)
    with pytest.raises(DomainError) as caught:
        services.submit_certification(
            session,
            member(org),
            org.id,
            certification_files(realname_form=upload(big, "big.pdf")),
            app.config["UPLOAD_DIR"],
        )
    assert "10 MB" in str(caught.value.errors["realname_form"][0])


def test_an_enterprise_must_upload_the_contacts_id_card_but_a_provider_need_not(session, app):
    enterprise = register(session)
    files = certification_files()
    del files["contact_id_card"]
    with pytest.raises(DomainError) as caught:
        services.submit_certification(session, member(enterprise), enterprise.id, files, app.config["UPLOAD_DIR"])
    assert "contact_id_card" in caught.value.errors
    provider = register(session, kind="provider")
    services.submit_certification(
        session, member(provider), provider.id, certification_files("provider"), app.config["UPLOAD_DIR"]
    )
    assert provider.status == OrgStatus.UNDER_REVIEW


def test_only_members_upload_for_their_organisation(session, app):
    org, other = register(session), make_org(session)
    with pytest.raises(DomainError) as caught:
        services.submit_certification(session, member(other), org.id, certification_files(), app.config["UPLOAD_DIR"])
    assert caught.value.code == "not_found"


def test_a_rejected_organisation_sees_the_reason_and_can_submit_again(session, app):
    operator = make_staff(session, Role.OPERATOR)
    org = register(session)
    services.submit_certification(session, member(org), org.id, certification_files(), app.config["UPLOAD_DIR"])
    services.review_organisation(session, operator, org.id, Decision(False, "营业执照扫描件不清晰"))
    assert (org.status, org.status_reason) == (OrgStatus.REJECTED, "营业执照扫描件不清晰")
    services.submit_certification(session, member(org), org.id, certification_files(), app.config["UPLOAD_DIR"])
    assert org.status == OrgStatus.UNDER_REVIEW and org.status_reason is None
    services.review_organisation(session, operator, org.id, Decision(True))
    assert org.status == OrgStatus.CERTIFIED and org.certified_at is not None
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "organisation", AuditEntry.subject_id == org.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["register", "submit_certification", "reject", "submit_certification", "approve"]


def test_a_rejection_needs_a_reason(session, app):
    operator = make_staff(session, Role.OPERATOR)
    org = register(session)
    services.submit_certification(session, member(org), org.id, certification_files(), app.config["UPLOAD_DIR"])
    with pytest.raises(DomainError) as caught:
        services.review_organisation(
            session, operator, org.id, Decision.from_input({"decision": "reject", "reason": "  "})
        )
    assert "reason" in caught.value.errors
    assert session.get(Organisation, org.id).status == OrgStatus.UNDER_REVIEW


def test_reviewing_an_organisation_that_has_not_submitted_is_invalid_state(session):
    operator = make_staff(session, Role.OPERATOR)
    org = register(session)
    with pytest.raises(DomainError) as caught:
        services.review_organisation(session, operator, org.id, Decision(True))
    assert caught.value.code == "invalid_state"


def test_the_queue_lists_the_oldest_submission_first(session, app):
    operator = make_staff(session, Role.OPERATOR)
    orgs = [register(session) for _ in range(3)]
    for org in (orgs[1], orgs[0], orgs[2]):
        services.submit_certification(session, member(org), org.id, certification_files(), app.config["UPLOAD_DIR"])
    page = services.review_queue(session, operator, 1, 20)
    assert [o.id for o in page.items] == [orgs[1].id, orgs[0].id, orgs[2].id]
    services.review_organisation(session, operator, orgs[0].id, Decision(True))
    assert services.review_queue_count(session, operator) == 2


def test_affiliations_are_symmetric_and_recorded_once(session):
    operator = make_staff(session, Role.OPERATOR)
    enterprise, provider = make_org(session), make_org(session, "provider")
    affiliations.add_affiliation(session, operator, provider.id, AffiliationInput(enterprise.id, "同一集团控股"))
    assert affiliations.affiliated(session, enterprise.id, provider.id)
    assert affiliations.affiliated_ids(session, enterprise.id) == {provider.id}
    with pytest.raises(DomainError):
        affiliations.add_affiliation(session, operator, enterprise.id, AffiliationInput(provider.id, "again"))
    with pytest.raises(DomainError):
        affiliations.add_affiliation(session, operator, enterprise.id, AffiliationInput(enterprise.id, "self"))


def test_only_the_operator_changes_affiliations_and_the_blacklist(session):
    authority = make_staff(session, Role.AUTHORITY)
    a, b = make_org(session), make_org(session)
    with pytest.raises(DomainError) as caught:
        affiliations.add_affiliation(session, authority, a.id, AffiliationInput(b.id, "x"))
    assert caught.value.code == "forbidden"
    with pytest.raises(DomainError):
        blacklist.add_to_blacklist(session, member(a), BlacklistInput.from_input({"uscc": b.uscc, "reason": "x"}))


def test_members_and_staff_see_an_organisation_others_do_not(session):
    org, other = make_org(session), make_org(session)
    assert services.get_organisation(session, member(org), org.id) is org
    assert services.get_organisation(session, make_staff(session, Role.AUTHORITY), org.id) is org
    with pytest.raises(DomainError) as caught:
        services.get_organisation(session, member(other), org.id)
    assert caught.value.code == "not_found"


def test_the_holiday_table_overrides_working_days(session):
    operator = make_staff(session, Role.OPERATOR)
    start = dt.date(2027, 9, 30)  # a Thursday in a year the library does not know
    assert calendar.add_working_days(session, start, 1) == dt.date(2027, 10, 1)
    for day in range(1, 8):
        calendar.set_holiday(session, operator, calendar.HolidayInput(dt.date(2027, 10, day), False, "国庆节"))
    assert calendar.add_working_days(session, start, 1) == dt.date(2027, 10, 8)
    calendar.delete_holiday(session, operator, dt.date(2027, 10, 1))
    assert calendar.add_working_days(session, start, 1) == dt.date(2027, 10, 1)


class TestAuditTrail:
    def test_every_change_is_chained_and_verifies(self, session, app):
        operator = make_staff(session, Role.OPERATOR)
        org = register(session)
        services.submit_certification(session, member(org), org.id, certification_files(), app.config["UPLOAD_DIR"])
        services.review_organisation(session, operator, org.id, Decision(True))
        report = verify_chain(session)
        assert report.ok and report.checked == 3
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert entries[1].prev_hash == entries[0].hash
        assert entries[2].before == {"status": "under_review", "reason": None, "exit_effective_on": None}
        assert entries[2].after["status"] == "certified"
        assert entries[2].actor_label == operator.email

    def test_the_database_refuses_to_change_or_delete_an_entry(self, session):
        register(session)
        for statement in ("UPDATE audit_entries SET action = 'forged'", "DELETE FROM audit_entries"):
            with pytest.raises(DBAPIError):
                session.execute(text(statement))
            session.rollback()
        assert session.scalar(select(AuditEntry.action)) == "register"

    def test_tampering_is_found_and_the_first_broken_entry_named(self, session):
        for _ in range(3):
            register(session)
        _without_append_only_guard(session, 'UPDATE audit_entries SET after = \'{"status": "certified"}\' WHERE id = 2')
        report = verify_chain(session)
        assert not report.ok and report.broken_id == 2

    def test_a_removed_entry_is_found(self, session):
        for _ in range(3):
            register(session)
        _without_append_only_guard(session, "DELETE FROM audit_entries WHERE id = 3")
        report = verify_chain(session)
        assert report.broken_id == 3


def _without_append_only_guard(session, statement):
    """What an attacker with database access could do: switch the triggers off, change a row."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_entries_no_update"))
        session.execute(text("DROP TRIGGER audit_entries_no_delete"))
        session.execute(text(statement))
    else:
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        session.execute(text(statement))
        session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))
    session.commit()


def test_the_staff_search_takes_percent_and_underscore_as_characters_of_the_name(session):
    from orgs.commands import OrganisationFilter

    make_org(session, name="黔东南100%绿色农业有限公司")
    make_org(session, name="遵义白酒销售有限公司")
    staff = make_staff(session, Role.AUTHORITY)
    found = services.list_organisations(session, staff, OrganisationFilter(q="100%"), 1, 20).items
    assert [o.name for o in found] == ["黔东南100%绿色农业有限公司"]
    assert services.list_organisations(session, staff, OrganisationFilter(q="%"), 1, 20).total == 1
    assert services.list_organisations(session, staff, OrganisationFilter(q="_"), 1, 20).total == 0
