"""Pages of programmes as policy (issue 13): an enterprise applies to a scheme of the Baiyun programme
with the facts its cap depends on, sees its wallets in every programme and completes one returned to
it; the cart spends the wallet it chooses; the operator reviews under the policy (less than the cap,
return for completion, release of an unused part) and handles 复核 requests asked from the notice.

2 March 2026 is a Monday and March 2026 has no public holiday: working days are Monday to Friday.
Amounts: ¥1 = 100 fen; 万 = ¥10,000 = 1,000,000 fen.
"""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from oversight.models import NoticeEntry
from shop.inputs import Decision
from shop.states import Role
from tests.helpers import fresh, grant_wallet, make_org, make_product, make_programme, make_staff, member, sign_in
from wallet import grant_upkeep, grants, ledger, policies, reconsiderations, services
from wallet.commands import GrantRequest, ProgrammeSpec
from wallet.models import QuotaApplication, Reconsideration
from wallet.states import AccountKind, ApplicationStatus

WAN = 1_000_000
BAIYUN = "440111"


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def text(response):
    return response.get_data(as_text=True)


def baiyun_programme(session, code="baiyun-2026", budget_fen=5_000 * WAN):
    authority = make_staff(session, Role.AUTHORITY)
    authority.jurisdiction = BAIYUN
    session.commit()
    spec = ProgrammeSpec.from_input(
        {
            "preset": "baiyun",
            "code": code,
            "title": "白云区服务券 2026",
            "jurisdiction": BAIYUN,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget_fen": budget_fen,
            "settlement_dates": ["2026-06-30", "2026-12-20"],
        }
    )
    return policies.create_from_preset(session, authority, spec)


def budget(session, code="baiyun-2026"):
    return ledger.balance(session, AccountKind.BUDGET, ledger.Book(code, code, 2026, dt.date(2026, 12, 31)))


def apply(session, org, scheme, code="baiyun-2026", **facts):
    wanted = GrantRequest.from_input({"programme": code, "scheme": scheme, "facts": facts})
    return grants.apply(session, member(org), wanted.programme, wanted.scheme, wanted.facts)


@pytest.fixture
def baiyun(session):
    baiyun_programme(session)
    return make_org(session, region_code=BAIYUN, name="广州白云云创科技有限公司")


def operator(session):
    return make_staff(session, Role.OPERATOR)


# -- the enterprise applies ----------------------------------------------------------------------------


def test_an_enterprise_sees_the_programmes_of_its_district_with_a_form_per_scheme(client, session, baiyun):
    make_programme(session)  # Guizhou 2026: its province does not cover Baiyun
    sign_in(client, member(baiyun))
    page = text(client.get("/wallet/programmes"))
    assert "白云区服务券 2026" in page and "广东省广州市白云区" in page
    assert "申请公有云" in page and "申请软件开发云套餐" in page and "申请云上软件园" in page
    # public cloud: last year's taxes in yuan; its tiers in words
    assert 'name="last_year_tax"' in page and "¥20,000,000.00 及以上：¥1,000,000.00" in page
    # dev cloud: packages, seats among the package sizes, the enterprise's class
    assert '<option value="50">50 席</option>' in page and "“四上”企业" in page
    # smart manufacturing: its project
    assert "智能车间数字化" in page
    assert "每家企业每年在所有券种合计最多 ¥2,000,000.00" in page
    assert "贵州省" not in page.split("<main")[1]  # no Guizhou programme offered to a Baiyun enterprise


def test_a_guiyang_enterprise_is_not_offered_baiyuns_programme(client, session, baiyun):
    sign_in(client, member(make_org(session, region_code="520102")))
    page = text(client.get("/wallet/programmes"))
    assert "白云区服务券 2026" not in page and "今天没有向贵企业开放的项目" in page


def test_applying_with_taxes_in_yuan_reserves_the_tier_and_shows_the_wallets_page(client, session, baiyun):
    sign_in(client, member(baiyun))
    response = client.post("/wallet/programmes/baiyun-2026/public_cloud", data={"last_year_tax": "6,000,000"})
    assert response.status_code == 302 and "/wallets" in response.headers["Location"]
    page = text(client.get(response.headers["Location"]))
    # taxes ¥6,000,000 ≥ ¥5,000,000 → cap ¥300,000, reserved on arrival
    assert "已提交" in page and "¥300,000.00" in page and "待审核" in page and "¥6,000,000.00" in page
    application = fresh(session).scalars(select(QuotaApplication)).one()
    assert (application.scheme, application.reserved_fen, application.facts) == (
        "public_cloud",
        30 * WAN,
        {"last_year_tax_fen": 600_000_000},
    )


def test_a_new_investment_declares_its_class_for_the_public_cloud_tier_it_gives(client, session, baiyun):
    sign_in(client, member(baiyun))
    form = text(client.get("/wallet/programmes"))
    assert "（如适用）" in form  # the class is asked, not required
    data = {"last_year_tax": "0", "enterprise_class": "new_investment"}
    response = client.post("/wallet/programmes/baiyun-2026/public_cloud", data=data)
    assert response.status_code == 302
    # 新招商重点企业: up to ¥1,000,000 whatever last year's taxes
    assert fresh(session).scalars(select(QuotaApplication)).one().reserved_fen == 100 * WAN


def test_working_out_the_cap_applies_for_nothing(client, session, baiyun):
    sign_in(client, member(baiyun))
    page = text(
        client.post(
            "/wallet/programmes/baiyun-2026/dev_cloud",
            data={"packages": "3", "seats": "50", "enterprise_class": "other", "preview": "1"},
        )
    )
    # 3 packages of 50 seats at ¥25,000 a package
    assert "按这些情况，上限为 ¥75,000.00" in page and 'value="3"' in page
    assert fresh(session).scalars(select(QuotaApplication)).first() is None


def test_faulty_facts_are_shown_beside_their_fields(client, session, baiyun):
    sign_in(client, member(baiyun))
    response = client.post(
        "/wallet/programmes/baiyun-2026/dev_cloud", data={"packages": "6", "seats": "10", "enterprise_class": "other"}
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-f-baiyun-2026-dev_cloud-packages"' in page and "1 至 5 个套餐" in page
    response = client.post("/wallet/programmes/baiyun-2026/public_cloud", data={"last_year_tax": "lots"})
    assert response.status_code == 422 and 'id="e-f-baiyun-2026-public_cloud-last_year_tax"' in text(response)
    response = client.post(
        "/wallet/programmes/baiyun-2026/dev_cloud",
        data={"packages": "two", "seats": "10", "enterprise_class": "other", "preview": "1"},
    )
    assert response.status_code == 422 and 'id="e-f-baiyun-2026-dev_cloud-packages"' in text(response)
    response = client.post("/wallet/programmes/baiyun-2026/public_cloud", data={})
    assert response.status_code == 422 and "该券种需要申报这项内容" in text(response)


def test_refusals_of_the_programme_are_shown_on_the_page(client, session, baiyun):
    sign_in(client, member(baiyun))
    client.post("/wallet/programmes/baiyun-2026/software_park")
    response = client.post("/wallet/programmes/baiyun-2026/software_park")
    # applied already: the scheme shows the application instead of a form, and a second post is refused
    assert response.status_code == 409 and "已申请过该券种" in text(response)
    baiyun_programme(session, "baiyun-empty", budget_fen=0)
    response = client.post("/wallet/programmes/baiyun-empty/public_cloud", data={"last_year_tax": "0"})
    assert response.status_code == 409 and "预算已用完" in text(response)
    # 云上软件园 is granted once ever: another Baiyun programme refuses it
    response = client.post("/wallet/programmes/baiyun-empty/software_park")
    assert response.status_code == 422 and "此前已获发放" in text(response)
    guiyang = make_org(session, region_code="520102")
    sign_in(client, member(guiyang))
    response = client.post("/wallet/programmes/baiyun-2026/software_park")
    assert response.status_code == 422 and "仅限" in text(response)


def test_enterprise_pages_are_for_enterprises(client, session, baiyun):
    sign_in(client, operator(session))
    assert client.get("/wallet/programmes").status_code == 403
    assert client.get("/wallets").status_code == 403


# -- the enterprise's wallets ----------------------------------------------------------------------------


def test_the_wallets_page_lists_every_programme_and_scheme_with_its_dates(client, session, baiyun):
    make_programme(session)
    guizhou = make_org(session, region_code="520102")
    grant_wallet(session, guizhou)
    public = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    apply(session, baiyun, "software_park")
    services.review_application(session, operator(session), public.id, Decision(True))
    sign_in(client, member(baiyun))
    page = text(client.get("/wallets"))
    # in notice 2–9 March; a 复核 may still be asked until 16 March; it takes effect on 17 March
    assert "公有云" in page and "云上软件园" in page and "公示中" in page
    assert "公示至 2026年3月9日" in page and "2026年3月17日" in page
    assert "2026年12月31日" in page
    # the wallet page of the year lists them too
    page = text(client.get("/wallet"))
    assert "我的全部云券" in page and "白云区服务券 2026 · 公有云" in page
    # a Guizhou enterprise sees its province-wide wallet
    sign_in(client, member(guizhou))
    page = text(client.get("/wallets"))
    assert "¥50,000.00" in page and "已发放" in page


def test_a_returned_application_shows_why_and_is_completed_from_the_page(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=600 * WAN)  # ¥300,000
    grant_upkeep.return_for_completion(session, operator(session), application.id, "缺少完税证明")
    sign_in(client, member(baiyun))
    page = text(client.get("/wallets"))
    # returned Monday 2 March: completed by Thursday 5 March (3 working days)
    assert "缺少完税证明" in page and "2026年3月5日" in page and 'value="6000000.00"' in page
    response = client.post(f"/wallets/{application.id}/complete", data={"last_year_tax": "lots"})
    assert response.status_code == 422 and f'id="e-f-complete-{application.id}-last_year_tax"' in text(response)
    # completed with taxes of ¥1,000,000: the cap falls to ¥100,000 and the rest goes back
    response = client.post(f"/wallets/{application.id}/complete", data={"last_year_tax": "1000000"})
    assert response.status_code == 302
    application = fresh(session).get(QuotaApplication, application.id)
    assert (application.status, application.reserved_fen) == (ApplicationStatus.PENDING, 10 * WAN)


def test_another_enterprise_cannot_complete_an_application(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    grant_upkeep.return_for_completion(session, operator(session), application.id, "缺少完税证明")
    sign_in(client, member(make_org(session, region_code=BAIYUN)))
    assert client.post(f"/wallets/{application.id}/complete", data={"last_year_tax": "1"}).status_code == 404
    assert "缺少完税证明" not in text(client.get("/wallets"))


# -- the cart spends the wallet it chooses -----------------------------------------------------------------


def _two_wallets(session, today, org):
    for scheme, facts in (
        ("public_cloud", {"last_year_tax_fen": 0}),
        ("smart_manufacturing", {"project": "diagnosis"}),
    ):
        application = apply(session, org, scheme, **facts)
        services.review_application(session, operator(session), application.id, Decision(True))
    today("2026-03-17")
    assert grants.issue_after_notice(session) == 2


def test_the_cart_and_checkout_offer_the_wallets_and_price_with_the_chosen_one(
    client, session, today, baiyun, payments
):
    provider = make_org(session, "provider", region_code=BAIYUN)
    iot = make_product(session, provider, price_fen=1_000_00, layer="application", category="iot", name="物联网平台")
    _two_wallets(session, today, baiyun)
    sign_in(client, member(baiyun))
    client.post("/cart/add", data={"product_id": iot.id})
    page = text(client.get("/cart"))
    # both expire on 31 December: the first by key is public cloud, which covers no IoT product
    assert 'name="wallet"' in page and "白云区服务券 2026 · 智能制造服务" in page
    assert re.search(r'<option value="baiyun-2026/public_cloud" selected', page)
    assert "按此云券计算" in page
    # changing a quantity keeps the wallet chosen
    response = client.post(f"/cart/{iot.id}", data={"quantity": "1", "wallet": "baiyun-2026/smart_manufacturing"})
    assert response.headers["Location"].endswith("wallet=baiyun-2026/smart_manufacturing")
    page = text(client.get("/cart?wallet=baiyun-2026/smart_manufacturing"))
    # smart manufacturing pays 80% of ¥1,000 = ¥800
    assert re.search(r'<option value="baiyun-2026/smart_manufacturing" selected', page) and "¥800.00" in page
    checkout = text(client.get("/checkout?wallet=baiyun-2026/smart_manufacturing"))
    assert 'name="expected_self_pay_fen" value="20000"' in checkout
    summary = text(client.get("/checkout/summary?use_vouchers=1&wallet=baiyun-2026/public_cloud"))
    assert 'name="expected_self_pay_fen" value="100000"' in summary
    token = re.search(r'name="checkout_token" value="([^"]+)"', checkout).group(1)
    from tests.stripe_mock import card

    response = client.post(
        "/checkout",
        data={
            "checkout_token": token,
            "use_vouchers": "1",
            "wallet": "baiyun-2026/smart_manufacturing",
            "agreement_accepted": "1",
            "payment_method": card(payments),
            "expected_total_fen": "100000",
            "expected_self_pay_fen": "20000",
        },
    )
    assert response.status_code == 302, text(response)
    fresh(session)
    smart = grants.application_book(
        session, services.application_in(session, baiyun.id, "baiyun-2026", "smart_manufacturing")
    )[0]
    assert ledger.balance(session, AccountKind.IN_ORDERS, smart, baiyun.id) == 800_00


def test_one_wallet_shows_no_choice(client, session, payments):
    make_programme(session)
    org = make_org(session)
    grant_wallet(session, org)
    provider = make_org(session, "provider")
    product = make_product(session, provider, price_fen=100_00)
    sign_in(client, member(org))
    client.post("/cart/add", data={"product_id": product.id})
    assert 'name="wallet"' not in text(client.get("/cart")) and 'name="wallet"' not in text(client.get("/checkout"))


# -- the operator reviews under the policy ---------------------------------------------------------------


def test_the_review_page_shows_the_policy_the_facts_and_the_cap(client, session, baiyun):
    application = apply(session, baiyun, "dev_cloud", packages=2, seats=10, enterprise_class="sishang")
    sign_in(client, operator(session))
    queue = text(client.get("/operator/quota-applications"))
    assert f'href="/operator/quota-applications/{application.id}"' in queue and "软件开发云套餐" in queue
    page = text(client.get(f"/operator/quota-applications/{application.id}"))
    assert "白云区服务券 2026" in page and "软件开发云套餐" in page and "申报情况" in page
    # 2 packages of 10 seats at ¥6,000 → ¥12,000
    assert "“四上”企业" in page and "¥12,000.00" in page and "退回补正" in page


def test_granting_less_needs_a_reason_and_a_confirmation_and_returns_the_rest(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=600 * WAN)  # ¥300,000
    sign_in(client, operator(session))
    url = f"/operator/quota-applications/{application.id}/decision"
    response = client.post(url, data={"decision": "approve", "granted": "200000", "confirm": "1"})
    assert response.status_code == 422 and 'id="e-reason"' in text(response)
    response = client.post(url, data={"decision": "approve", "granted": "200000", "reason": "合同金额仅20万"})
    assert response.status_code == 422 and 'id="e-confirm"' in text(response)
    response = client.post(url, data={"decision": "approve", "granted": "400000", "reason": "x", "confirm": "1"})
    assert response.status_code == 422 and 'id="e-granted"' in text(response)
    response = client.post(
        url,
        data={"decision": "approve", "granted": "200,000", "reason": "合同金额仅20万", "confirm": "1"},
        follow_redirects=True,
    )
    assert "公示至 2026-03-09" in text(response)
    application = fresh(session).get(QuotaApplication, application.id)
    assert (application.status, application.granted_fen, application.reserved_fen) == (
        ApplicationStatus.IN_NOTICE,
        20 * WAN,
        20 * WAN,
    )
    assert budget(session) == 5_000 * WAN - 20 * WAN  # ¥100,000 went back at once


def test_a_rejection_needs_a_reason(client, session, baiyun):
    application = apply(session, baiyun, "software_park")
    sign_in(client, operator(session))
    url = f"/operator/quota-applications/{application.id}/decision"
    assert client.post(url, data={"decision": "reject"}).status_code == 422
    client.post(url, data={"decision": "reject", "reason": "不符合条件"})
    assert fresh(session).get(QuotaApplication, application.id).status == ApplicationStatus.REJECTED
    assert budget(session) == 5_000 * WAN


def test_the_operator_returns_an_application_for_completion_with_a_reason(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    sign_in(client, operator(session))
    url = f"/operator/quota-applications/{application.id}/return"
    response = client.post(url, data={"return_reason": ""})
    assert response.status_code == 422 and 'id="e-return_reason"' in text(response)
    page = text(client.post(url, data={"return_reason": "缺少完税证明"}, follow_redirects=True))
    assert "2026-03-05" in page
    assert fresh(session).get(QuotaApplication, application.id).status == ApplicationStatus.RETURNED


def test_guizhou_applications_are_not_returned_for_completion(client, session):
    make_programme(session)
    application = services.apply_for_quota(session, member(make_org(session)), 2026)
    sign_in(client, operator(session))
    page = text(client.get(f"/operator/quota-applications/{application.id}"))
    assert "f-return_reason" not in page and "¥50,000.00" in page
    response = client.post(f"/operator/quota-applications/{application.id}/return", data={"return_reason": "缺材料"})
    assert response.status_code == 409


def test_the_operator_releases_an_unused_part_of_a_grant_after_confirming(client, session, today, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)  # ¥100,000
    services.review_application(session, operator(session), application.id, Decision(True))
    today("2026-03-17")
    grants.issue_after_notice(session)
    sign_in(client, operator(session))
    url = f"/operator/quota-applications/{application.id}/release"
    page = text(client.get(f"/operator/quota-applications/{application.id}"))
    assert "¥100,000.00 未使用" in page
    response = client.post(url, data={"amount": "40000", "release_reason": "企业放弃部分额度"})
    assert response.status_code == 422 and 'id="e-release_confirm"' in text(response)
    response = client.post(url, data={"amount": "110000", "release_reason": "企业放弃部分额度", "release_confirm": "1"})
    assert response.status_code == 422 and 'id="e-amount"' in text(response)
    response = client.post(url, data={"amount": "40000", "release_reason": "企业放弃部分额度", "release_confirm": "1"})
    assert response.status_code == 302
    fresh(session)
    wallet = services.wallet(session, baiyun.id, 2026, session.get(QuotaApplication, application.id))
    assert wallet.available_fen == 6 * WAN and budget(session) == 5_000 * WAN - 6 * WAN


def test_operator_pages_are_for_operators_and_their_jurisdiction(client, session, baiyun):
    application = apply(session, baiyun, "software_park")
    sign_in(client, member(baiyun))
    assert client.get(f"/operator/quota-applications/{application.id}").status_code == 403
    assert client.get("/operator/reconsiderations").status_code == 403
    guiyang = operator(session)
    guiyang.jurisdiction = "5201"
    session.commit()
    sign_in(client, guiyang)
    assert client.get(f"/operator/quota-applications/{application.id}").status_code == 404


# -- 复核 ------------------------------------------------------------------------------------------------------


def _in_notice(session, org):
    application = apply(session, org, "public_cloud", last_year_tax_fen=0)  # ¥100,000
    services.review_application(session, operator(session), application.id, Decision(True))
    return application


def test_a_reconsideration_is_asked_from_the_notice_and_holds_the_grant(client, session, today, baiyun):
    application = _in_notice(session, baiyun)
    entry = session.scalars(select(NoticeEntry).where(NoticeEntry.subject_id == application.id)).one()
    rival = make_org(session, region_code=BAIYUN)
    sign_in(client, member(rival))
    today("2026-03-05")
    notice = text(client.get(f"/notices/{entry.id}"))
    assert f'href="/quota-applications/{application.id}/reconsideration"' in notice and "2026年3月16日" in notice
    page = text(client.get(f"/quota-applications/{application.id}/reconsideration"))
    assert "申请复核" in page and "广州白云云创科技有限公司" in page and "¥100,000.00" in page
    response = client.post(f"/quota-applications/{application.id}/reconsideration", data={"reason": ""})
    assert response.status_code == 422 and 'id="e-reason"' in text(response)
    response = client.post(
        f"/quota-applications/{application.id}/reconsideration", data={"reason": "该企业上年纳税数据有误"}
    )
    assert response.status_code == 302
    assert fresh(session).get(QuotaApplication, application.id).status == ApplicationStatus.ON_HOLD
    # held: the notice no longer offers a 复核, the page says so
    assert "/reconsideration" not in text(client.get(f"/notices/{entry.id}")).split("异议")[0]
    assert "不能再申请复核" in text(client.get(f"/quota-applications/{application.id}/reconsideration"))


def test_no_reconsideration_page_for_what_is_not_published(client, session, baiyun):
    application = apply(session, baiyun, "public_cloud", last_year_tax_fen=0)
    sign_in(client, member(make_org(session, region_code=BAIYUN)))
    assert client.get(f"/quota-applications/{application.id}/reconsideration").status_code == 404


def test_the_operator_accepts_and_upholds_a_reconsideration_after_confirming(client, session, today, baiyun):
    application = _in_notice(session, baiyun)
    today("2026-03-05")
    item = reconsiderations.request(
        session, member(make_org(session, region_code=BAIYUN)), application.id, "不在本区经营"
    )
    sign_in(client, operator(session))
    page = text(client.get("/operator/reconsiderations"))
    # accepted or not within 5 working days: by Thursday 12 March
    assert "不在本区经营" in page and "2026年3月12日" in page and "待受理" in page
    url = f"/operator/reconsiderations/{item.id}"
    response = client.post(f"{url}/answer", data={"decision": "refuse"})
    assert response.status_code == 422 and f'id="e-f-{item.id}-reason"' in text(response)
    page = text(client.post(f"{url}/answer", data={"decision": "accept"}, follow_redirects=True))
    # decided within 15 working days of 5 March: by Thursday 26 March
    assert "2026年3月26日" in page and "已受理" in page
    response = client.post(f"{url}/decision", data={"decision": "uphold", "reason": "核实不在本区经营"})
    assert response.status_code == 422 and f'id="e-f-{item.id}-confirm"' in text(response)
    client.post(f"{url}/decision", data={"decision": "uphold", "reason": "核实不在本区经营", "confirm": "1"})
    fresh(session)
    assert session.get(Reconsideration, item.id).status == "upheld"
    assert session.get(QuotaApplication, application.id).status == ApplicationStatus.REJECTED
    assert budget(session) == 5_000 * WAN  # the grant's ¥100,000 went back
    assert "核实不在本区经营" in text(client.get("/operator/reconsiderations?view=closed"))


def test_a_refused_reconsideration_releases_the_hold(client, session, today, baiyun):
    application = _in_notice(session, baiyun)
    item = reconsiderations.request(session, member(make_org(session, region_code=BAIYUN)), application.id, "有误")
    sign_in(client, operator(session))
    client.post(f"/operator/reconsiderations/{item.id}/answer", data={"decision": "refuse", "reason": "理由不成立"})
    assert fresh(session).get(QuotaApplication, application.id).status == ApplicationStatus.IN_NOTICE


def test_a_dismissed_reconsideration_lets_the_grant_take_effect_after_its_notice(client, session, today, baiyun):
    application = _in_notice(session, baiyun)
    item = reconsiderations.request(session, member(make_org(session, region_code=BAIYUN)), application.id, "有误")
    staff = operator(session)
    reconsiderations.answer(session, staff, item.id, True, None)
    sign_in(client, staff)
    url = f"/operator/reconsiderations/{item.id}/decision"
    assert client.post(url, data={"decision": "dismiss", "reason": ""}).status_code == 422
    client.post(url, data={"decision": "dismiss", "reason": "核实无误"})  # no confirmation: nothing is cancelled
    assert fresh(session).get(QuotaApplication, application.id).status == ApplicationStatus.IN_NOTICE
    today("2026-03-17")
    assert grants.issue_after_notice(session) == 1
