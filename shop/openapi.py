"""The OpenAPI 3.1 document, built from the running URL map and each endpoint's ``@api`` entry, so
that it cannot drift from the code (a test fails when an API route has no entry)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from shop.errors import CODES

API_PREFIX = "/api/v1"
_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(CODES)},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


def undocumented_api_routes(app: Flask) -> list[str]:
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX) and not hasattr(app.view_functions[rule.endpoint], "_openapi"):
            missing.append(f"{','.join(sorted(rule.methods - {'HEAD', 'OPTIONS'}))} {rule.rule}")
    return missing


def _path_schema(converter: Any) -> dict[str, Any]:
    """A path parameter; a number with the bounds of its converter (``shop.web.IdConverter``):
    beyond them the path is a 404."""
    if isinstance(converter, IntegerConverter):
        return {"type": "integer", "minimum": converter.min or 0, "maximum": converter.max}
    return {"type": "string"}


def build_openapi(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        doc = getattr(app.view_functions[rule.endpoint], "_openapi", None)
        if doc is None:
            continue
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule[len(API_PREFIX) :])
        params = [
            {"name": name, "in": "path", "required": True, "schema": _path_schema(rule._converters[name])}
            for _conv, name in _CONVERTER.findall(rule.rule)
        ]
        for name, schema in (doc.get("query") or {}).items():
            params.append({"name": name, "in": "query", "required": False, "schema": schema})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": doc["summary"],
                "tags": [rule.endpoint.split(".")[0].removesuffix("_api")],
                "parameters": params,
                "responses": {},
            }
            if doc["roles"]:
                op["description"] = "Who: " + ", ".join(doc["roles"])
            if not doc["public"]:
                op["security"] = [{"bearer": []}]
            if doc["body"]:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": doc["body"]}}}
            if doc["multipart"]:
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": doc["multipart"]}}}
            success: dict[str, Any] = {"description": {200: "OK", 201: "Created", 204: "No content"}[doc["status"]]}
            if doc["status"] == 204:
                pass
            elif doc["binary"]:
                success["content"] = {
                    media: {"schema": {"type": "string", "format": "binary"}} for media in doc["binary"]
                }
            else:
                success["content"] = {"application/json": {"schema": doc["response"] or {"type": "object"}}}
            op["responses"][str(doc["status"])] = success
            # any call may meet a database too busy to answer (503 with Retry-After)
            codes = set(doc["errors"]) | {"busy"} | ({"unauthorized"} if not doc["public"] else set())
            # what any endpoint with inputs may answer: a path naming nothing, input that does not parse
            if _CONVERTER.search(rule.rule):
                codes.add("not_found")
            if doc["query"] or doc["body"] or doc["multipart"]:
                codes.add("validation_error")
            if doc["roles"]:
                codes.add("forbidden")
            by_status: dict[int, list[str]] = {}
            for code in sorted(codes):
                by_status.setdefault(CODES[code][0], []).append(code)
            for status_code, names in sorted(by_status.items()):
                op["responses"][str(status_code)] = {
                    "description": "Problem: " + ", ".join(names),
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Yunquan (云券) API",
            "version": "1",
            "description": "The JSON API of the cloud-use voucher marketplace. Money is integer fen.",
        },
        "servers": [{"url": API_PREFIX}],
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
