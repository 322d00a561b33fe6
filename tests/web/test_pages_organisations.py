"""The foundation's pages: home, language, sign-in, registration, certification, operator review."""

import io

from orgs.models import Organisation
from orgs.states import OrgStatus
from shop import create_app
from shop.states import Role
from tests.helpers import JPEG, PASSWORD, PDF, PNG, fresh, make_org, make_staff, member, registration, sign_in


def text(response):
    return response.get_data(as_text=True)


def test_the_home_page_is_chinese_by_default_and_english_on_request(client):
    page = text(client.get("/"))
    assert 'lang="zh-CN"' in page and "云使用券" in page and "企业注册" in page
    client.get("/lang/en?next=/")
    page = text(client.get("/"))
    assert 'lang="en"' in page and "Register as an enterprise" in page


def test_the_language_switch_never_redirects_off_site(client):
    assert client.get("/lang/en?next=//evil.example/").headers["Location"] == "/"


def test_registration_page_shows_each_message_beside_its_field_and_keeps_the_input(client):
    data = registration(uscc="91110000600037341X", established_on="2999-01-01")
    response = client.post("/register", data=data)
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-uscc"' in page and "校验码" in page
    assert 'id="e-established_on"' in page and "成立日期不能晚于今天" in page
    assert f'value="{data["name"]}"' in page  # nothing typed is lost
    assert 'value="correct-horse-9"' not in page  # except the password


def test_registering_signs_in_and_leads_to_the_certification_upload(client, session):
    response = client.post("/register", data=registration(name="遵义测试数据有限公司"), follow_redirects=True)
    assert response.status_code == 200
    page = text(response)
    assert "遵义测试数据有限公司" in page and "营业执照" in page and "联系人身份证" in page


def test_uploading_documents_puts_the_organisation_under_review(client, session):
    org = make_org(session, status=OrgStatus.PENDING_CERTIFICATION)
    sign_in(client, member(org))
    response = client.post(
        "/organisation/certification",
        data={
            "business_licence": (io.BytesIO(PDF), "执照.pdf"),
            "realname_form": (io.BytesIO(JPEG), "form.jpg"),
            "contact_id_card": (io.BytesIO(PNG), "id.png"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "审核中" in text(response)
    assert fresh(session).get(Organisation, org.id).status == OrgStatus.UNDER_REVIEW


def test_a_wrong_file_is_reported_beside_its_field(client, session):
    org = make_org(session, status=OrgStatus.PENDING_CERTIFICATION)
    sign_in(client, member(org))
    response = client.post(
        "/organisation/certification",
        data={
            "business_licence": (io.BytesIO(b"plain text"), "licence.pdf"),
            "realname_form": (io.BytesIO(JPEG), "f.jpg"),
            "contact_id_card": (io.BytesIO(PNG), "id.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "不是 PDF、JPEG、PNG 格式" in text(response)


def test_the_operator_reviews_from_the_queue_with_documents_beside_the_data(client, session, app):
    org = make_org(session, status=OrgStatus.PENDING_CERTIFICATION)
    from orgs import services

    services.submit_certification(
        session,
        member(org),
        org.id,
        {
            "business_licence": (io.BytesIO(PDF), "licence.pdf"),
            "realname_form": (io.BytesIO(JPEG), "f.jpg"),
            "contact_id_card": (io.BytesIO(PNG), "id.png"),
        },
        app.config["UPLOAD_DIR"],
    )
    operator = make_staff(session, Role.OPERATOR)
    sign_in(client, operator)
    queue = text(client.get("/operator/certifications"))
    assert org.name in queue
    assert '<span class="count"' in queue  # the navigation shows what waits
    detail = text(client.get(f"/staff/organisations/{org.id}"))
    assert org.uscc in detail and "<iframe" in detail and "<img" in detail
    response = client.post(f"/operator/organisations/{org.id}/review", data={"decision": "reject", "reason": ""})
    assert response.status_code == 422 and "此项为必填项" in text(response)
    client.post(f"/operator/organisations/{org.id}/review", data={"decision": "reject", "reason": "执照模糊"})
    sign_in(client, member(org))
    page = text(client.get("/organisation"))
    assert "执照模糊" in page and "重新上传" in page


def test_documents_are_readable_by_members_and_staff_only(client, session, app):
    org, stranger = make_org(session, status=OrgStatus.PENDING_CERTIFICATION), make_org(session)
    from orgs import services

    services.submit_certification(
        session,
        member(org),
        org.id,
        {
            "business_licence": (io.BytesIO(PDF), "licence.pdf"),
            "realname_form": (io.BytesIO(JPEG), "f.jpg"),
            "contact_id_card": (io.BytesIO(PNG), "id.png"),
        },
        app.config["UPLOAD_DIR"],
    )
    document_id = services.latest_submission(session, org.id).documents[0].id
    sign_in(client, member(org))
    own = client.get(f"/documents/{document_id}")
    assert own.status_code == 200 and own.data == PDF and own.headers["Cache-Control"] == "private, no-store"
    sign_in(client, member(stranger))
    assert client.get(f"/documents/{document_id}").status_code == 404
    sign_in(client, make_staff(session, Role.AUTHORITY))
    assert client.get(f"/documents/{document_id}").status_code == 200


def test_sign_in_page_gives_the_same_answer_for_unknown_addresses(client, session):
    org = make_org(session)
    wrong = client.post("/login", data={"email": member(org).email, "password": "not-the-password-1"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "not-the-password-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert "邮箱或密码不正确" in text(wrong) and "邮箱或密码不正确" in text(unknown)
    ok = client.post("/login", data={"email": member(org).email, "password": PASSWORD})
    assert ok.status_code == 302


def test_forms_without_a_csrf_token_are_refused_without_losing_anything(database_url, tmp_path):
    app = create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": str(tmp_path), "TESTING": True})
    client = app.test_client()
    response = client.post("/register", data=registration())
    assert response.status_code == 400 and "表单已过期" in text(response)
    page = text(client.get("/register"))
    assert 'name="csrf_token"' in page
    app.extensions["shop.engine"].dispose()


def test_operator_pages_for_affiliations_blacklist_and_holidays(client, session):
    a, b = make_org(session), make_org(session, "provider")
    sign_in(client, make_staff(session, Role.OPERATOR))
    response = client.post(
        "/operator/affiliations",
        data={"organisation_a": a.id, "organisation_b": b.id, "note": "同一集团"},
        follow_redirects=True,
    )
    assert "同一集团" in text(response) and a.name in text(response)
    response = client.post("/operator/blacklist", data={"uscc": "bad", "reason": "x"})
    assert response.status_code == 422 and 'id="e-uscc"' in text(response)
    response = client.post(
        "/operator/blacklist", data={"uscc": "91110000600037341L", "reason": "骗补"}, follow_redirects=True
    )
    assert "91110000600037341L" in text(response)
    response = client.post(
        "/operator/holidays", data={"day": "2027-02-08", "is_working_day": "0", "note": "春节"}, follow_redirects=True
    )
    assert "春节" in text(response) and "2027" in text(response)


def test_amounts_and_errors_never_give_a_500_for_nonsense_ids(client, session):
    sign_in(client, make_staff(session, Role.OPERATOR))
    assert client.get("/staff/organisations/0").status_code == 404
    assert client.get("/staff/audit?subject_id=abc").status_code == 200
    assert client.get("/operator/holidays?year=abc").status_code == 200
    assert client.post("/operator/holidays/not-a-date/delete").status_code == 404
