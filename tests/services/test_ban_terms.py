"""Bans with a term (Liuzhou 第二十三条 three years, Baiyun 第二十条 five: ``Rules.ban_years``): the ban is
over on its end day, the daily job takes it off the blacklist (audited), the organisation is no longer
sanctioned and the code may register again; the public 负面清单 lists only the bans in force."""

import pytest
from sqlalchemy import select

from claims import recoveries, reviews
from claims.commands import DisbursementInput, RecoveryInput
from orgs import blacklist, services
from orgs.commands import BlacklistInput, Registration
from orgs.sanctions import sanction_of
from shop.audit import history
from shop.inputs import Decision
from shop.preset_list import PRESETS
from shop.states import Role
from tests.helpers import (
    fresh,
    grant_wallet,
    make_claim,
    make_order,
    make_org,
    make_programme,
    make_staff,
    registration,
    unique_uscc,
)
from wallet import policies
from wallet.models import Programme


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def test_the_presets_give_the_terms_of_their_notices():
    terms = {key: PRESETS[key].rules.ban_years for key in ("liuzhou", "baiyun", "linyi", "guizhou")}
    assert terms == {"liuzhou": 3, "baiyun": 5, "linyi": None, "guizhou": None}


def test_a_ban_with_a_term_ends_by_itself_and_the_code_may_register_again(app, client, session, today):
    code = unique_uscc()
    operator = make_staff(session, Role.OPERATOR)
    entry = blacklist.add_to_blacklist(
        session, operator, BlacklistInput.from_input({"uscc": code, "reason": "骗取补贴", "years": "3"})
    )
    assert str(entry.ends_on) == "2029-03-02"  # three years from today
    entry_id = entry.id
    assert blacklist.is_blacklisted(session, code)
    assert [e.uscc for e in blacklist.negative_list(session, 1, 20).items] == [code]
    with pytest.raises(Exception):  # noqa: B017 — the code cannot register meanwhile
        services.register_organisation(session, Registration.from_input(registration(uscc=code)))
    session.rollback()

    today("2029-03-01")  # the last day of the ban
    assert blacklist.is_blacklisted(session, code)
    assert blacklist.end_bans(session) == 0
    today("2029-03-02")  # over: the first request of the day runs the daily job
    client.get("/")
    s = fresh(session)
    assert not blacklist.is_blacklisted(s, code)
    assert blacklist.negative_list(s, 1, 20).total == 0
    assert [e.action for e in history(s, "blacklist", entry_id)] == ["add_to_blacklist", "end_ban"]
    assert blacklist.end_bans(s) == 0  # idempotent
    org = services.register_organisation(s, Registration.from_input(registration(uscc=code)))
    assert org.uscc == code


def test_a_recovery_for_fraud_bans_the_provider_for_its_programmes_term_until_the_job_ends_it(
    app, client, session, tmp_path, today
):
    make_programme(session)
    programme = session.scalars(select(Programme)).one()
    authority = make_staff(session, Role.AUTHORITY)
    # the programme's policy says three years (Liuzhou's term)
    policies.change_policy(session, authority, programme.code, {"ban_years": 3}, "按柳州办法第二十三条")
    enterprise = make_org(session)
    grant_wallet(session, enterprise)
    provider = make_org(session, "provider")
    claim = make_claim(session, provider, [make_order(session, enterprise, provider)], tmp_path)
    operator = make_staff(session, Role.OPERATOR)
    reviews.review_claim(session, operator, claim.id, Decision(True))
    reviews.review_claim(session, authority, claim.id, Decision(True))
    reviews.disburse_claim(
        session, make_staff(session, Role.FINANCE), claim.id, DisbursementInput.from_input({"reference": "GZ-9"})
    )
    recovery = recoveries.open_recovery(
        session,
        authority,
        claim.id,
        RecoveryInput.from_input({"amount_fen": 4_000_00, "reason": "伪造合同", "ban": "true"}),
    )
    assert recovery.banned
    [entry] = blacklist.negative_list(session, 1, 20).items
    assert (entry.uscc, str(entry.ends_on)) == (provider.uscc, "2029-03-02")
    assert sanction_of(session, provider.id).kind == "blacklisted"
    assert sanction_of(session, provider.id).until is not None

    today("2029-03-02")
    client.get("/negative-list")
    s = fresh(session)
    assert sanction_of(s, provider.id) is None  # it may work again; what it owes is still owed
    assert recoveries.owed_by(s, provider.id) == 4_000_00
    assert "end_ban" in [e.action for e in history(s, "organisation", provider.id)]
