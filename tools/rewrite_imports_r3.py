"""Rewrite the imports of the names that issue 12's R3 moved (``orgs/`` as an area; ``shop.models``,
``shop.services``, ``shop.rules`` gone; ``catalog.services`` split; ``catalog.seed`` → ``catalog.demo``;
``shop.catalogs`` → ``shop.translations``).

    python tools/rewrite_imports_r3.py [PATH ...]     # files or folders; default: the whole checkout
    python tools/rewrite_imports_r3.py --check PATH   # list what would change, change nothing

It handles, in any ``.py`` file (function-local imports included):

- ``from shop.models import Organisation, User`` → one import per new module
  (``from orgs.models import Organisation`` and ``from shop.accounts import User``), ``as`` kept;
- ``from shop import services`` (or ``… as x``, or among other names) and then ``services.name``:
  each ``name`` is looked up; the binding follows the module most of them went to
  (``from orgs import services``) and the others are reached through their own module
  (``sanctions.sanction_of``, or the bare name when that module's name is taken in the file);
- ``import shop.services`` and ``shop.services.name`` written out;
- ``python -m shop.catalogs`` (now ``shop.translations``) in Makefiles, shell scripts and Markdown;
- in ``.py`` and ``.html`` files alike, the quoted endpoints of the moved pages (``'shop.organisation_detail'``
  → ``'orgs.organisation_detail'``, ``shop_api.…`` → ``orgs_api.…``) and template names
  (``"organisation.html"`` → ``"orgs/organisation.html"``, ``"home.html"`` → ``"shop/home.html"``).

Not done by it: the translations (move msgids with ``python -m shop.translations update`` and ``fill``).

It is idempotent (a second run changes nothing) and leaves code it does not understand alone, so
run ruff (``ruff check --fix`` sorts the new imports) and the tests after it. Written for merging the
other branches of issue 12 onto the R3 layout; delete it once issue 12 is closed.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

# old module → {name: new module}; "*" is where every other name went (None: it stayed).
MOVES: dict[str, dict[str, str | None]] = {
    "shop.models": {
        "Organisation": "orgs.models", "CertificationSubmission": "orgs.models",
        "CertificationDocument": "orgs.models", "Affiliation": "orgs.models", "BlacklistEntry": "orgs.models",
        "User": "shop.accounts", "ApiToken": "shop.accounts", "LoginThrottle": "shop.accounts",
        "Holiday": "shop.calendar", "enum_type": "shop.db",
        "*": "orgs.models",
    },
    "shop.states": {
        "OrgKind": "orgs.states", "OrgStatus": "orgs.states", "ORGANISATION": "orgs.states",
        "ACTIVE_ORG_STATUSES": "orgs.states", "*": None,
    },
    "shop.rules": {
        "check_password": "shop.auth", "normalise_email": "shop.auth", "check_email": "shop.auth",
        "PASSWORD_MIN_LENGTH": "shop.auth", "*": "orgs.rules",
    },
    "shop.services": {
        **dict.fromkeys(["Sanction", "sanction_of", "sanctions_of", "sanctioned_clause", "ensure_not_sanctioned",
                         "suspend_organisation", "reinstate_organisation", "end_suspensions"], "orgs.sanctions"),
        **dict.fromkeys(["working_day_overrides", "add_working_days", "set_holiday", "delete_holiday",
                         "list_holidays"], "shop.calendar"),
        **dict.fromkeys(["add_affiliation", "remove_affiliation", "affiliated", "affiliated_ids", "affiliations_of",
                         "list_affiliations"], "orgs.affiliations"),
        **dict.fromkeys(["AuditFilter", "read_audit_filter", "audit_query", "ChainStatus", "chain_status",
                         "record_chain_verification"], "shop.audit_search"),
        "*": "orgs.services",
    },
    "shop.seed": {
        **dict.fromkeys(["make_uscc", "DemoOrg", "DEMO_STAFF", "DEMO_ORGS", "demo_org", "demo_user",
                         "seed_organisations"], "orgs.demo"),
        "*": None,
    },
    "catalog.seed": {"*": "catalog.demo"},
    "shop.catalogs": {"*": "shop.translations"},
    "catalog.services": {
        **dict.fromkeys(["request_exit", "expel_organisation", "expel_provider", "settle_exits"], "catalog.providers"),
        **dict.fromkeys(["SELLING_ORG_STATUSES", "is_on_sale", "can_see_everything", "get_product", "reviews_of",
                         "versions_of", "evidence_version", "versions_on_sale", "CatalogueQuery", "SORTS",
                         "parse_catalogue_query", "search_catalogue", "Facets", "catalogue_facets",
                         "catalogue_highlights", "provider_products", "provider_status_counts", "on_sale_count",
                         "rejected_count", "review_queue", "review_queue_count", "list_products"],
                        "catalog.queries"),
        **dict.fromkeys(["Upload", "validate_listing", "EVIDENCE_TYPES", "EVIDENCE_MAX_BYTES"], "catalog.listing"),
        "*": None,
    },
}
# whole modules that are gone: ``import shop.catalogs`` and ``python -m shop.catalogs``
RENAMED_MODULES = {"shop.catalogs": "shop.translations", "catalog.seed": "catalog.demo"}
# endpoints of the pages and API that moved to ``orgs`` (their URLs did not change), in quotes:
# ``url_for('shop.organisation_detail', …)`` → ``url_for('orgs.organisation_detail', …)``
ENDPOINTS = {
    **{f"shop.{name}": f"orgs.{name}" for name in (
        "register", "my_organisation", "submit_certification", "document", "review_queue", "organisations",
        "organisation_detail", "suspend_organisation", "reinstate_organisation", "review_organisation",
        "affiliations", "delete_affiliation", "blacklist", "delete_blacklist_entry")},
    **{f"shop_api.{name}": f"orgs_api.{name}" for name in (
        "register_api", "list_organisations_api", "get_organisation_api", "submit_certification_api",
        "review_organisation_api", "add_affiliation_api", "suspend_organisation_api", "reinstate_organisation_api")},
}
# templates that moved: ``render_template("organisation.html")`` and ``{% include "_org_facts.html" %}``
TEMPLATES = {f"{name}.html": f"orgs/{name}.html" for name in (
    "register", "organisation", "organisation_detail", "organisations", "review_queue", "affiliations",
    "blacklist", "_org_facts", "_org_sanctions", "_sanction_notice")} | {
    f"{name}.html": f"shop/{name}.html" for name in ("home", "login", "holidays", "audit", "export")}
TEXT_SUFFIXES = {".md", ".cfg", ".toml", ".sh", ".html", ".txt", ".ini"}
SKIP_DIRS = {".venv", ".git", "node_modules", "__pycache__", ".pytest_cache", "migrations"}


def new_home(module: str, name: str) -> str:
    moves = MOVES[module]
    target = moves.get(name, moves.get("*"))
    return module if target is None else target


def _split(module: str) -> tuple[str, str]:
    package, _, last = module.rpartition(".")
    return package, last


def _identifiers(source: str) -> set[str]:
    """Bare names used or bound in the file (not attributes)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.alias):
            found.add((node.asname or node.name).split(".")[0])
    return found


def _statement(indent: str, module: str, names: list[tuple[str, str | None]]) -> str:
    parts = ", ".join(f"{n} as {a}" if a and a != n else n for n, a in names)
    return f"{indent}from {module} import {parts}"


def rewrite_python(source: str) -> str:
    """One change at a time, parsing again after each (line numbers move), until nothing changes."""
    for _ in range(200):
        changed = _rewrite_once(source)
        if changed is None:
            return source
        source = changed
    raise RuntimeError("the rewrite does not settle")


def _rewrite_once(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines(keepends=True)
    taken = _identifiers(source)
    scopes: dict[int, tuple[int, int]] = {}     # an import inside a function rewrites that function only
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(fn):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    scopes[id(inner)] = (fn.lineno - 1, fn.end_lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            indent = " " * node.col_offset
            if node.module in MOVES:
                groups: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
                for alias in node.names:
                    groups[new_home(node.module, alias.name)].append((alias.name, alias.asname))
                if set(groups) != {node.module}:
                    text = "\n".join(_statement(indent, m, ns) for m, ns in groups.items())
                    return "".join(lines[:node.lineno - 1]) + text + "\n" + "".join(lines[node.end_lineno:])
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in MOVES:
                    changed = _rewrite_alias(source, alias.asname or alias.name, full, node, taken,
                                             scopes.get(id(node)))
                    if changed != source:
                        return changed
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MOVES:
                    changed = _rewrite_alias(source, alias.asname or alias.name, alias.name, node, taken,
                                             scopes.get(id(node)))
                    if changed != source:
                        return changed
    return None


def _rewrite_alias(text: str, alias: str, module: str, node: ast.AST, taken: set[str],
                   scope: tuple[int, int] | None = None) -> str:
    """``alias`` is bound to ``module`` (moved or split): send each ``alias.name`` to its new home,
    within ``scope`` (the lines of the function that imports it) or the whole file."""
    pattern = re.compile(r"(?<![\w.])" + re.escape(alias) + r"\.(\w+)")
    all_lines = text.splitlines(keepends=True)
    start, end = scope or (0, len(all_lines))
    before, region, after = "".join(all_lines[:start]), "".join(all_lines[start:end]), "".join(all_lines[end:])
    used = {m.group(1) for m in pattern.finditer(region)}
    homes = defaultdict(set)
    for name in used:
        homes[new_home(module, name)].add(name)
    if set(homes) <= {module}:
        return text
    # every module the names went to is reached by its own name (the old alias only if it is that
    # name, e.g. ``services`` for ``orgs.services``), or by the bare names when that name is taken
    keep_alias = next((home for home in homes if _split(home)[1] == alias or home == module), None)
    refer: dict[str, str] = {}      # name → how the code says it now
    imports: list[str] = []
    taken = set(taken)
    for home, names in sorted(homes.items()):
        if home == keep_alias:
            continue
        package, last = _split(home)
        if last not in taken:
            taken.add(last)
            imports.append(f"from {package} import {last}")
            refer.update({n: f"{last}.{n}" for n in names})
        elif not (names & taken):
            imports.append(f"from {home} import {', '.join(sorted(names))}")
            refer.update({n: n for n in names})
        else:
            as_name = home.replace(".", "_")
            imports.append(f"from {package} import {last} as {as_name}")
            refer.update({n: f"{as_name}.{n}" for n in names})
    primary = keep_alias
    text = before + pattern.sub(lambda m: refer.get(m.group(1), m.group(0)), region) + after
    # the binding itself now names the primary module
    lines = text.splitlines(keepends=True)
    first, last = node.lineno - 1, node.end_lineno - 1
    statement = "".join(lines[first:last + 1])
    indent = re.match(r"\s*", lines[first]).group(0)
    still_used = primary is not None
    new_package, new_last = _split(primary) if still_used else ("", "")
    if isinstance(node, ast.ImportFrom):
        others = [a for a in node.names if (a.asname or a.name) != alias]
        kept = _statement(indent, node.module, [(a.name, a.asname) for a in others]) if others else None
        binding = None
        if still_used:
            binding = (f"{indent}from {new_package} import {new_last}" +
                       (f" as {alias}" if alias != new_last else ""))
        new_lines = [s for s in (kept, binding) if s] + [indent + i for i in imports]
    else:
        if alias == module:     # ``import shop.services`` and ``shop.services.name`` written out
            refer = {n: f"{new_home(module, n)}.{n}" for n in used}
            text = pattern.sub(lambda m: refer.get(m.group(1), m.group(0)), "".join(lines))
            lines = text.splitlines(keepends=True)
            imports = [f"import {home}" for home in sorted(homes)]
            still_used = False
        new_lines = [indent + f"import {primary}" + (f" as {alias}" if alias != primary else "")] \
            if still_used else []
        new_lines += [indent + i for i in imports]
        text_after = "".join(lines[:first]) + "\n".join(new_lines) + "\n" + "".join(lines[last + 1:])
        return text_after
    if statement.strip() == "\n".join(new_lines).strip():
        return text
    return "".join(lines[:first]) + "\n".join(new_lines) + "\n" + "".join(lines[last + 1:])


def rewrite_text(text: str) -> str:
    for old, new in RENAMED_MODULES.items():
        text = re.sub(r"(?<![\w.])" + re.escape(old) + r"(?![\w])", new, text)
    names = "|".join(re.escape(k) for k in (*ENDPOINTS, *TEMPLATES))
    quoted = re.compile(r"""(['"])(""" + names + r""")\1""")
    return quoted.sub(lambda m: m.group(1) + {**ENDPOINTS, **TEMPLATES}[m.group(2)] + m.group(1), text)


def files(paths: list[Path]) -> list[Path]:
    out = []
    for path in paths:
        if path.is_file():
            out.append(path)
            continue
        for p in sorted(path.rglob("*")):
            if p.is_file() and not (SKIP_DIRS & set(p.parts)) and p.name != Path(__file__).name and \
                    (p.suffix == ".py" or p.suffix in TEXT_SUFFIXES or p.name in {"Makefile", "run"}):
                out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(".")])
    parser.add_argument("--check", action="store_true", help="list the files that would change")
    args = parser.parse_args(argv)
    changed = []
    for path in files(args.paths):
        before = path.read_text(encoding="utf-8")
        after = rewrite_python(before) if path.suffix == ".py" else before
        after = rewrite_text(after)
        if after != before:
            changed.append(path)
            if not args.check:
                path.write_text(after, encoding="utf-8")
    for path in changed:
        print(path)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
