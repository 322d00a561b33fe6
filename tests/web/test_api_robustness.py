"""Bad input never gives a 500: every API call of the OpenAPI document, with bodies of the wrong
shape, types and sizes, by a user of a role allowed to make it."""

import re

import pytest

from shop.states import Role
from tests.helpers import make_org, make_staff, member, token_for

NASTY_VALUES = [None, "", "\x00", "x" * 5000, -1, 10**30, 1.5, True, [], {"$": 1}, "2026-02-30", "１２３"]


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def _bodies(schema: dict) -> list:
    bodies: list = [[], "text", 12, {}, {"unknown": 1}]
    for name in (schema or {}).get("properties", {}):
        for value in NASTY_VALUES:
            bodies.append({name: value})
    return bodies


@pytest.fixture
def tokens(session):
    return {
        Role.ENTERPRISE: token_for(session, member(make_org(session))),
        Role.PROVIDER: token_for(session, member(make_org(session, "provider"))),
        Role.OPERATOR: token_for(session, make_staff(session, Role.OPERATOR)),
        Role.AUTHORITY: token_for(session, make_staff(session, Role.AUTHORITY)),
        Role.FINANCE: token_for(session, make_staff(session, Role.FINANCE)),
    }


def test_malformed_bodies_and_queries_never_give_a_500(client, tokens, payments):
    doc = client.get("/api/v1/openapi.json").json
    checked = 0
    for template, operations in doc["paths"].items():
        for method, op in operations.items():
            roles = (
                [Role(r.strip()) for r in op.get("description", "").removeprefix("Who: ").split(",") if r.strip()]
                if op.get("description", "").startswith("Who: ")
                else list(Role)
            )
            headers = tokens[roles[0]] if "security" in op else {}
            url = "/api/v1" + _path(template)
            body_schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {}) or {}).get("schema")
            if method in ("post", "patch", "put"):
                for body in _bodies(body_schema):
                    response = client.open(url, method=method.upper(), json=body, headers=headers)
                    assert response.status_code < 500, (
                        f"{method.upper()} {url} {body!r}: {response.get_data(as_text=True)[:300]}"
                    )
                    checked += 1
                response = client.open(
                    url,
                    method=method.upper(),
                    data=b"\xff\xfe{",
                    headers={**headers, "Content-Type": "application/json"},
                )
                assert response.status_code < 500, f"{method.upper()} {url} with broken JSON"
            else:
                for param in op.get("parameters", []):
                    if param["in"] != "query":
                        continue
                    for value in ("-1", "x", "\x00", "9" * 40, ""):
                        response = client.open(
                            url, method=method.upper(), query_string={param["name"]: value}, headers=headers
                        )
                        assert response.status_code < 500, f"GET {url}?{param['name']}={value!r}"
                        checked += 1
    assert checked > 100


NASTY_QUERY = {
    "year": "-1",
    "page": "9" * 30,
    "per_page": "-5",
    "status": "nonsense",
    "q": "\x00%_",
    "kind": "x",
    "subject_id": "9" * 30,
    "subject_type": "x",
    "use_vouchers": "maybe",
    "layer": "x",
    "category": "x",
    "provider_id": "abc",
    "min_price": "-1",
    "max_price": "1e9",
    "sort": "x",
    "placed": "1,x,9999999999999999999999",
}


def test_pages_with_nonsense_query_arguments_never_give_a_500(app, client, session, tokens):
    from tests.helpers import sign_in

    users = {
        Role.ENTERPRISE: member(make_org(session)),
        Role.PROVIDER: member(make_org(session, "provider")),
        Role.OPERATOR: make_staff(session, Role.OPERATOR),
        Role.AUTHORITY: make_staff(session, Role.AUTHORITY),
    }
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or "GET" not in rule.methods or getattr(view, "_access", {}).get("api"):
            continue
        roles = view._access["roles"] or list(Role)
        sign_in(client, users[sorted(roles)[0]])
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "2026-01-01" if m.group(1) == "day" else "1", rule.rule)
        response = client.get(url, query_string=NASTY_QUERY)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        checked += 1
    assert checked > 20
