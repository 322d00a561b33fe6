"""Every route declares who may use it, and refuses everyone else: anonymous visitors are sent to
sign in (pages) or get 401 (API); signed-in people of another role get 403. Ownership (someone
else's object of the same role) is tested with each area's pages and calls."""

import re

import pytest

from shop.states import Role
from tests.helpers import make_org, make_staff, member, sign_in, token_for

ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _url(rule: str) -> str:
    return ARG.sub(lambda m: "999999" if m.group(1) == "int" else "2026-01-01" if m.group(2) == "day" else "x", rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, app.view_functions[rule.endpoint]


def test_every_route_declares_its_access(app):
    undeclared = [f"{m} {r.rule}" for r, m, view in _routes(app) if not hasattr(view, "_access")]
    assert undeclared == []


def test_anonymous_visitors_reach_only_public_routes(app, client):
    for rule, method, view in _routes(app):
        if view._access["public"]:
            continue
        response = client.open(_url(rule.rule), method=method)
        if view._access.get("api"):
            assert response.status_code == 401, f"{method} {rule.rule}"
            assert response.json["code"] == "unauthorized"
        elif method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"], f"{method} {rule.rule}"
        else:
            assert response.status_code == 401, f"{method} {rule.rule}"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_where_it_does_not_belong(app, client, session, role):
    if role in (Role.ENTERPRISE, Role.PROVIDER):
        user = member(make_org(session, role.value))
    else:
        user = make_staff(session, role)
    headers = token_for(session, user)
    sign_in(client, user)
    checked = 0
    for rule, method, view in _routes(app):
        roles = view._access["roles"]
        if view._access["public"] or roles is None or role in roles:
            continue
        response = client.open(_url(rule.rule), method=method, headers=headers if view._access.get("api") else {})
        assert response.status_code == 403, f"{role} {method} {rule.rule} gave {response.status_code}"
        if view._access.get("api"):
            assert response.json["code"] == "forbidden"
        checked += 1
    assert checked > 0
