"""Programmes from a preset: the authority creates a Baiyun programme on the page, reads its policy
in words and its versions, and adjusts a cap with a reason; nobody else creates or adjusts."""

import pytest

from shop.states import Role
from tests.helpers import fresh, make_org, make_staff, member, sign_in
from wallet import grants, versions

BAIYUN_FORM = {
    "preset": "baiyun",
    "code": "baiyun-2026",
    "title": "白云区服务券 2026",
    "jurisdiction": "440111",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "budget": "10,000,000",
    "settlement_dates": "2026-06-30, 2026-12-20",
}


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def text(response):
    return response.get_data(as_text=True)


def _form_of(client, preset="baiyun"):
    """The page's form as a browser would send it: every prefilled figure and the fields above."""
    page = text(client.get(f"/authority/programmes/from-preset?preset={preset}"))
    import re

    figures = dict(re.findall(r'name="(overrides\.[^"]+)" value="([^"]*)"', page))
    return {**figures, **BAIYUN_FORM}


def _create(client, session, **changes):
    authority = make_staff(session, Role.AUTHORITY)
    sign_in(client, authority)
    return authority, client.post(
        "/authority/programmes/from-preset", data={**_form_of(client), **changes}, follow_redirects=True
    )


def test_the_authority_creates_a_baiyun_programme_and_reads_its_policy_in_chinese(client, session):
    _, response = _create(client, session)
    page = text(response)
    assert response.status_code == 200 and "白云区服务券 2026" in page and "440111" in page
    assert "¥10,000,000.00" in page
    # the public-cloud tiers and the notice before the grant, in words
    assert "上年纳税 ≥ ¥20,000,000.00：上限 ¥1,000,000.00" in page
    assert "上年纳税 ≥ ¥5,000,000.00：上限 ¥300,000.00" in page
    assert "其他情形：上限 ¥100,000.00" in page
    assert "5 个工作日" in page and "30 天未使用" in page
    programme = grants.get_by_code(fresh(session), "baiyun-2026")
    assert programme.policy_version == 1 and versions.current(session, programme).overrides == {}


def test_a_changed_figure_on_the_create_form_becomes_an_override(client, session):
    _, response = _create(client, session, **{"overrides.schemes.public_cloud.cap_fen": "150000"})
    assert response.status_code == 200
    programme = grants.get_by_code(fresh(session), "baiyun-2026")
    assert versions.current(session, programme).overrides == {"schemes.public_cloud.cap_fen": 150_000_00}


def test_faulty_figures_show_beside_their_fields(client, session):
    _, response = _create(
        client,
        session,
        code="Baiyun!",
        **{"overrides.schemes.public_cloud.ratios.platform": "120", "overrides.yearly_total_fen": "lots"},
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-overrides.schemes.public_cloud.ratios.platform"' in page
    assert 'id="e-overrides.yearly_total_fen"' in page
    assert 'value="lots"' in page


def test_the_preset_list_shows_the_coming_presets_but_does_not_offer_them(client, session):
    sign_in(client, make_staff(session, Role.AUTHORITY))
    page = text(client.get("/authority/programmes/from-preset?preset=guangdong"))
    assert "即将推出" in page and 'name="preset" value="guizhou"' in page
    assert "preset=guangdong" not in page


def test_an_authority_of_another_jurisdiction_cannot_create_there(client, session):
    authority = make_staff(session, Role.AUTHORITY)
    authority.jurisdiction = "52"
    session.commit()
    sign_in(client, authority)
    response = client.post("/authority/programmes/from-preset", data=_form_of(client))
    assert response.status_code == 403 and 'id="e-jurisdiction"' in text(response)


def test_the_authority_adjusts_a_cap_with_a_reason_and_sees_version_2(client, session):
    _create(client, session)
    form = {**_form_of(client), "overrides.schemes.public_cloud.cap_fen": "120000"}
    form = {k: v for k, v in form.items() if k.startswith("overrides.")}
    refused = client.post("/programmes/baiyun-2026/policy", data={**form, "reason": ""})
    assert refused.status_code == 422 and 'id="e-reason"' in text(refused)
    response = client.post(
        "/programmes/baiyun-2026/policy", data={**form, "reason": "区财政追加预算"}, follow_redirects=True
    )
    page = text(response)
    assert response.status_code == 200 and "区财政追加预算" in page
    assert "公有云 · 无档位适用时的上限（元）: ¥100,000.00 → ¥120,000.00" in page
    assert "其他情形：上限 ¥120,000.00" in page
    programme = grants.get_by_code(fresh(session), "baiyun-2026")
    assert programme.policy_version == 2
    assert [v.number for v in versions.history(session, programme.id)] == [2, 1]


def test_the_programme_page_reads_in_english(client, session):
    _create(client, session)
    client.get("/lang/en?next=/")
    page = text(client.get("/programmes/baiyun-2026"))
    assert "taxes ≥ ¥20,000,000.00: cap ¥1,000,000.00" in page
    assert "published for 5 working days before the quota is issued" in page
    assert "Versions of the policy" in page and "Adjust the policy" in page


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ENTERPRISE])
def test_only_the_authority_creates_or_adjusts(client, session, role):
    _create(client, session)
    user = make_staff(session, role) if role == Role.OPERATOR else member(make_org(session))
    sign_in(client, user)
    assert client.get("/authority/programmes/from-preset").status_code == 403
    assert client.post("/authority/programmes/from-preset", data=BAIYUN_FORM).status_code == 403
    assert client.post("/programmes/baiyun-2026/policy", data={"reason": "x"}).status_code == 403
    page = text(client.get("/programmes/baiyun-2026"))
    assert "上年纳税" in page and "调整政策" not in page


def test_the_programme_list_links_every_programme_by_code(client, session):
    _create(client, session)
    page = text(client.get("/programmes"))
    assert "/programmes/baiyun-2026" in page and "440111" in page and "新建项目（按预设）" in page
