"""An enterprise applies for its quota, the operator grants it, the wallet shows the balance; the
authority's programme page with its chart. Screenshots under docs/screenshots/."""

import datetime as dt

from orgs.models import Organisation
from orgs.states import OrgKind, OrgStatus
from shop.accounts import User
from shop.auth import hash_password
from shop.inputs import Decision
from shop.states import Role
from tests.browser.conftest import screenshot, sign_in, sign_out
from tests.helpers import unique_uscc
from wallet import programmes, services
from wallet.commands import ProgrammeInput

PASSWORD = "journey-pass-2026"


def _people(app):  # type: ignore[no-untyped-def]
    session = app.extensions["shop.sessions"]()
    hashed = hash_password(PASSWORD)
    authority = User(email="dsj@journey.example", password_hash=hashed, role=Role.AUTHORITY)
    operator = User(email="ops@journey.example", password_hash=hashed, role=Role.OPERATOR)
    names = ["贵州黔茶科技有限公司", "遵义红色旅游文化有限公司", "毕节高原蔬菜合作社有限公司"]
    orgs = []
    for i, name in enumerate(names):
        org = Organisation(
            kind=OrgKind.ENTERPRISE,
            uscc=unique_uscc(),
            name=name,
            region_code="520102",
            established_on=dt.date(2016, 5, 1),
            legal_representative="王",
            contact_name="李",
            email=f"e{i}@journey.example",
            status=OrgStatus.CERTIFIED,
        )
        session.add_all(
            [org, User(email=f"e{i}@journey.example", password_hash=hashed, role=Role.ENTERPRISE, organisation=org)]
        )
        orgs.append(org)
    session.add_all([authority, operator])
    session.commit()
    programmes.create_programme(
        session,
        authority,
        ProgrammeInput.from_input(
            {
                "year": 2026,
                "budget_fen": 30_000_000_00,
                "enterprise_cap_fen": 50_000_00,
                "ratios": {"infrastructure": 40, "platform": 60, "application": 60},
                "settlement_dates": ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-20"],
            }
        ),
    )
    # two earlier applicants, so the chart and the queue have something to show
    for org in orgs[1:]:
        application = services.apply_for_quota(session, org.members[0], 2026)
        if org is orgs[1]:
            services.review_application(session, operator, application.id, Decision(True))
    session.close()


def test_an_enterprise_applies_the_operator_grants_and_the_wallet_shows_it(page, live_app, monkeypatch):
    monkeypatch.setenv("SHOP_TODAY", "2026-03-02")
    _people(live_app)

    sign_in(page, "e0@journey.example", PASSWORD)
    page.goto("/wallet")
    page.click("text=申请 2026 年度额度")
    assert "已为您预留 ¥50,000.00" in page.inner_text("main")
    sign_out(page)

    sign_in(page, "ops@journey.example", PASSWORD)
    page.goto("/operator/quota-applications")
    assert page.locator("nav .count").first.inner_text() == "2"
    screenshot(page, "quota-queue-zh")
    page.check("tr:has-text('贵州黔茶科技有限公司') input[type=checkbox]")
    page.click("button[value=approve]")
    assert "已处理 1 项申请" in page.inner_text(".flash")
    sign_out(page)

    sign_in(page, "e0@journey.example", PASSWORD)
    page.goto("/wallet")
    figures = page.inner_text(".figures")
    assert "¥50,000.00" in figures
    assert "额度发放" in page.inner_text("table")
    screenshot(page, "wallet-zh")
    sign_out(page)

    sign_in(page, "dsj@journey.example", PASSWORD)
    page.goto("/programmes/2026")
    assert page.locator("svg.chart").count() == 1
    assert "¥100,000.00" in page.inner_text(".figures")
    screenshot(page, "programme-zh")
