"""The evidence of a quota application's facts (issue 13): the enterprise adds a document for a fact of
its scheme while the application waits for its decision; its members and the staff of its
jurisdiction read them, nobody else. 2 March 2026 is a Monday."""

import pytest
from sqlalchemy import select

from shop.audit import AuditEntry
from shop.errors import DomainError, NotFound, ValidationError
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import JPEG, PDF, PNG, make_org, make_staff, member, upload
from tests.web.test_pages_grants import BAIYUN, WAN, apply, baiyun_programme
from wallet import application_documents, grant_upkeep, services
from wallet.states import ApplicationStatus


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


@pytest.fixture
def baiyun(session):
    baiyun_programme(session)
    return make_org(session, region_code=BAIYUN, name="广州白云云创科技有限公司")


def add(session, app, org, application, fact="last_year_tax_fen", data=PDF, name="完税证明.pdf"):
    return application_documents.add_application_document(
        session, member(org), application.id, fact, upload(data, name), app.config["UPLOAD_DIR"]
    )


def test_the_enterprise_adds_evidence_of_a_fact_and_the_trail_records_it(app, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=600 * WAN)
    document = add(session, app, baiyun, application)
    assert (document.fact, document.original_name, document.content_type) == (
        "last_year_tax_fen",
        "完税证明.pdf",
        "application/pdf",
    )
    add(session, app, baiyun, application, "other", JPEG, "营业执照.jpg")
    listed = application_documents.documents_of(session, member(baiyun), application.id)
    assert [d.fact for d in listed] == ["last_year_tax_fen", "other"]
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "add_application_document").order_by(AuditEntry.id)
    ).first()
    assert (entry.subject_type, entry.subject_id) == ("quota_application", application.id)
    assert entry.after["fact"] == "last_year_tax_fen" and entry.after["document_id"] == document.id


def test_a_fact_the_scheme_does_not_ask_is_refused(app, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    with pytest.raises(ValidationError) as refused:
        add(session, app, baiyun, application, "employees")
    assert "fact" in refused.value.errors


def test_a_returned_application_takes_evidence_and_a_decided_one_does_not(app, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=600 * WAN)
    grant_upkeep.return_for_completion(session, make_staff(session, Role.OPERATOR), application.id, "缺少完税证明")
    add(session, app, baiyun, application, data=PNG, name="scan.png")
    grant_upkeep.complete(session, member(baiyun), application.id, {"last_year_tax_fen": 600 * WAN})
    services.review_application(
        session, make_staff(session, Role.OPERATOR), application.id, Decision(approve=False, reason="不符合")
    )
    assert session.get(type(application), application.id).status == ApplicationStatus.REJECTED
    with pytest.raises(DomainError) as refused:
        add(session, app, baiyun, application)
    assert refused.value.code == "invalid_state"


def test_only_the_owner_adds_and_only_its_members_and_jurisdiction_read(app, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    document = add(session, app, baiyun, application)
    other = make_org(session, region_code=BAIYUN)
    with pytest.raises(NotFound):
        add(session, app, other, application)
    guiyang = make_staff(session, Role.OPERATOR, jurisdiction="5201")
    for outsider in (member(other), guiyang):
        with pytest.raises(NotFound):
            application_documents.documents_of(session, outsider, application.id)
        with pytest.raises(NotFound):
            application_documents.application_document(session, outsider, application.id, document.id)
    district = make_staff(session, Role.AUTHORITY, jurisdiction=BAIYUN)
    assert application_documents.application_document(session, district, application.id, document.id) == document
    with pytest.raises(NotFound):  # staff read, they do not add
        application_documents.add_application_document(
            session, district, application.id, "other", upload(PDF, "x.pdf"), app.config["UPLOAD_DIR"]
        )
