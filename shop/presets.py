"""Programmes as data: the rule set of a programme and its schemes (voucher types), and the presets of
the five notices in ``../shared/seeds`` (``../shared/POLICY.md``, ``docs/policies.md``).

A programme's **policy** is a preset plus the authority's overrides, validated here and stored whole in
each ``PolicyVersion`` (``wallet.models``): every change is a new version, and what was decided under
an older one keeps the version it names. Plain data and plain functions: no Flask, no database.

Amounts are fen; percentages whole numbers; deadlines say whether they count working days.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from shop.i18n import _l
from shop.policy import Category, Layer

FLOWS = ("quota", "contract", "post_subsidy")
FREQUENCIES = ("once_ever", "once_per_programme")
# the facts an application may carry for the caps and eligibility (API.md "Programmes as policy")
FACTS = {
    "last_year_tax_fen": int,
    "main_revenue_fen": int,
    "employees": int,
    "packages": int,
    "seats": int,
    "certificates": list,
    "enterprise_class": str,
    "project": str,
}
ENTERPRISE_CLASSES = ("sishang", "headquarters", "new_investment", "other")
ORGANISATION_KINDS = ("enterprise", "provider")
# a scheme's ratio is set per layer (第十一条) or per product category
RATIO_KEYS = {layer.value for layer in Layer} | {category.value for category in Category}
# what a claim's documents can be (claims.models: the kinds a provider uploads)
EVIDENCE_KINDS = (
    "invoice",
    "contract",
    "transfer",
    "usage",
    # Liuzhou 第二十条: the voucher, the application, proof of self-payment, the bank receipt, proof of
    # completion and the project summary
    "voucher",
    "voucher_application",
    "self_payment",
    "bank_receipt",
    "completion",
    "project_summary",
)
# who reviews a contract voucher at each stage (``Scheme.review_stages``): the staff whose
# jurisdiction is the county (区/县) of the enterprise's region, or the programme's (the city)
REVIEW_STAGES = ("county", "city")
SELECTIONS = ("first_come", "ranked")


@dataclass(frozen=True)
class CapTier:
    """A cap that applies when a declared fact reaches ``at_least`` (numbers) or ``equals`` (a word, or
    a member of a list such as ``certificates``); tiers are tried in order, the first that holds wins."""

    fact: str
    cap_fen: int
    at_least: int | None = None
    equals: str | None = None


@dataclass(frozen=True)
class Scheme:
    key: str
    title: str
    flow: str = "quota"
    # percent of a product's price the voucher may pay, by layer (infrastructure, platform, application)
    ratios: Mapping[str, int] = field(default_factory=dict)
    # by year of the subscription (1st, 2nd, 3rd…): replaces ``ratios`` for every layer (Baiyun 100/80/60)
    ratio_by_year: tuple[int, ...] = ()
    # the product categories that fall under the scheme; empty: every category
    categories: tuple[str, ...] = ()
    cap_fen: int = 0
    cap_tiers: tuple[CapTier, ...] = ()
    # packages of seats (Baiyun's dev cloud): the cap is packages × the price of a package of that size
    package_price_fen: Mapping[str, int] = field(default_factory=dict)
    package_limits: Mapping[str, int] = field(default_factory=dict)  # by enterprise class ("other" otherwise)
    frequency: str = "once_per_programme"
    # granted in at most this many programmes (years) of the preset in the jurisdiction (Baiyun's
    # public cloud: "补贴额度周期为三年，逐年申请"); None: no limit (``ratio_by_year`` limits by itself)
    max_years: int | None = None
    required_facts: tuple[str, ...] = ()
    # contract vouchers (``flow="contract"``): the reviews in order (``REVIEW_STAGES``; the last one
    # scores the application where the programme selects by rank), and the ratio by the calendar year
    # of the application (Liuzhou 80/50/30% in 2020/2021/2022), which replaces ``ratios``
    review_stages: tuple[str, ...] = ()
    ratio_by_calendar_year: Mapping[str, int] = field(default_factory=dict)

    @property
    def asked_facts(self) -> tuple[str, ...]:
        return asked_facts(self)


def asked_facts(scheme: Scheme) -> tuple[str, ...]:
    """What an application of ``scheme`` declares: its required facts, then the ones a cap tier reads
    (optional: Baiyun's public cloud asks the taxes and may be told the enterprise is a new investment)."""
    extra = [tier.fact for tier in scheme.cap_tiers if tier.fact not in scheme.required_facts]
    return tuple(dict.fromkeys([*scheme.required_facts, *extra]))


@dataclass(frozen=True)
class Reconsideration:
    """复核 (Baiyun 第十五条(七)): requested during the notice or ``request_working_days`` after it,
    accepted or not within ``accept_working_days``, decided within ``decide_working_days``."""

    request_working_days: int = 5
    accept_working_days: int = 5
    decide_working_days: int = 15


@dataclass(frozen=True)
class Rules:
    preset: str
    title: str
    seed: str
    eligible_kinds: tuple[str, ...] = ("enterprise",)
    min_established_years: int = 0
    # the most one enterprise is granted in a calendar year over every scheme of the programmes of
    # this preset in the jurisdiction (Baiyun 200万); None: each scheme's cap alone
    yearly_total_fen: int | None = None
    # validity of a grant: to the end of the programme (None) or this many days from the grant
    validity_days: int | None = None
    # a grant with nothing spent this many days after it is deemed abandoned and reclaimed (Baiyun 30)
    unused_reclaim_days: int | None = None
    selection: str = "first_come"
    # an application the reviewer returns is completed within this many working days (Baiyun 3)
    completion_working_days: int | None = None
    review_working_days: int | None = None
    # a grant is published this many working days before it takes effect (None: it takes effect at once)
    notice_before_grant_working_days: int | None = None
    reconsideration: Reconsideration | None = None
    # published after the fact (Guizhou's 公示 of grants and disbursements)
    notice_working_days: int = 5
    claim_evidence: tuple[str, ...] = ("invoice", "contract", "transfer", "usage")
    # the settlement dates (month-day) a programme gets when it is created without any (Linyi 第十三条:
    # every half year, 06-30 and 12-31), in each year of its period
    settlement_days: tuple[str, ...] = ()
    query_working_days: int = 3
    exit_notice_days: int = 30
    # fraud: the provider is banned (负面清单) for this many years (Liuzhou 3, Baiyun 5); None: until
    # the operator takes it off (Linyi's 负面清单, Guizhou's blacklist)
    ban_years: int | None = None
    schemes: tuple[Scheme, ...] = ()
    # 切块: parts of the budget set aside for sub-jurisdictions (division code prefix → fen); an
    # application draws on the block of its region, first come first served within it
    blocks: Mapping[str, int] = field(default_factory=dict)

    def scheme(self, key: str) -> Scheme | None:
        return next((s for s in self.schemes if s.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Preset:
    key: str
    title: Any
    seed: str
    rules: Rules
    available: bool = True


# -- validation ------------------------------------------------------------------------------------


class PolicyError(ValueError):
    """Overrides that do not fit the preset: ``errors`` maps the dotted key to its messages."""

    def __init__(self, errors: dict[str, list]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _same_shape(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool)
    if old is None or new is None:
        return True
    if isinstance(old, int):
        return isinstance(new, int)
    if isinstance(old, str):
        return isinstance(new, str)
    if isinstance(old, list | tuple):
        return isinstance(new, list | tuple)
    if isinstance(old, dict):
        return isinstance(new, dict)
    return False


MAPPING_RULES = ("ratios", "package_price_fen", "package_limits", "blocks", "ratio_by_calendar_year")


def apply_overrides(rules: Rules, overrides: Mapping[str, Any]) -> Rules:
    """The rules with ``overrides`` applied: dotted keys (``yearly_total_fen``,
    ``schemes.public_cloud.cap_fen``, ``schemes.default.ratios.platform``) onto the preset's values, each
    of the type it replaces; percentages 0–100 and amounts never negative. Raises ``PolicyError``."""
    data = copy.deepcopy(rules.as_dict())
    # schemes by key: the same dictionaries as in ``data``, so an edit through the view edits ``data``
    view = {**data, "schemes": {s["key"]: s for s in data["schemes"]}}
    errors: dict[str, list] = {}
    for dotted, value in (overrides or {}).items():
        *path, last = str(dotted).split(".")
        if not path and last in ("preset", "seed", "schemes"):
            errors[dotted] = [_l("This rule cannot be overridden.")]
            continue
        node: Any = view
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        new_key = bool(path) and path[-1] in MAPPING_RULES
        if not isinstance(node, dict) or (last not in node and not new_key):
            errors[dotted] = [_l("There is no such rule.")]
            continue
        if not _same_shape(node.get(last, 0), value):
            errors[dotted] = [_l("This rule takes a value of another kind.")]
            continue
        node[last] = value
    if errors:
        raise PolicyError(errors)
    data.update({k: v for k, v in view.items() if k != "schemes"})
    return rules_from_dict(data)


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value or ())


def _month_day(value: Any) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(f"2024-{value}")  # a leap year: 02-29 is a day
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and len(value) == 5


def rules_from_dict(data: Mapping[str, Any]) -> Rules:
    """Rules from their stored form (a ``PolicyVersion``'s JSON), checked; raises ``PolicyError``."""
    errors: dict[str, list] = {}
    schemes = []
    for raw in data.get("schemes") or []:
        tiers = tuple(CapTier(**t) for t in raw.get("cap_tiers") or ())
        scheme = Scheme(
            **{
                **{k: raw[k] for k in (f.name for f in fields(Scheme)) if k in raw},
                "ratio_by_year": _tuple(raw.get("ratio_by_year")),
                "categories": _tuple(raw.get("categories")),
                "required_facts": _tuple(raw.get("required_facts")),
                "review_stages": _tuple(raw.get("review_stages")),
                "ratio_by_calendar_year": dict(raw.get("ratio_by_calendar_year") or {}),
                "cap_tiers": tiers,
                "ratios": dict(raw.get("ratios") or {}),
                "package_price_fen": dict(raw.get("package_price_fen") or {}),
                "package_limits": dict(raw.get("package_limits") or {}),
            }
        )
        prefix = f"schemes.{scheme.key}"
        if scheme.flow not in FLOWS:
            errors[f"{prefix}.flow"] = [_l("Choose one of the flows.")]
        if scheme.frequency not in FREQUENCIES:
            errors[f"{prefix}.frequency"] = [_l("Choose one of the frequencies.")]
        unknown = set(scheme.ratios) - RATIO_KEYS
        if unknown:
            errors[f"{prefix}.ratios"] = [
                _l("A ratio is set for a layer or a category: %(keys)s.", keys=", ".join(sorted(unknown)))
            ]
        if set(scheme.review_stages) - set(REVIEW_STAGES):
            errors[f"{prefix}.review_stages"] = [_l("Review stages among: %(words)s.", words=", ".join(REVIEW_STAGES))]
        if any(not (isinstance(y, str) and y.isdigit() and len(y) == 4) for y in scheme.ratio_by_calendar_year):
            errors[f"{prefix}.ratio_by_calendar_year"] = [_l("A ratio is set for a year such as 2021.")]
        for name, value in [
            *scheme.ratios.items(),
            *enumerate(scheme.ratio_by_year),
            *scheme.ratio_by_calendar_year.items(),
        ]:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                errors[f"{prefix}.ratios.{name}"] = [_l("A percentage between 0 and 100.")]
        amounts = [scheme.cap_fen, *(t.cap_fen for t in tiers), *scheme.package_price_fen.values()]
        if any(not isinstance(a, int) or isinstance(a, bool) or a < 0 for a in amounts):
            errors[f"{prefix}.cap_fen"] = [_l("An amount in fen, 0 or more.")]
        if any(limit < 0 for limit in scheme.package_limits.values()):
            errors[f"{prefix}.package_limits"] = [_l("A number, 0 or more.")]
        schemes.append(scheme)
    if not schemes:
        errors["schemes"] = [_l("A programme has at least one scheme.")]
    if len({s.key for s in schemes}) != len(schemes):
        errors["schemes"] = [_l("Each scheme has its own key.")]
    recon = data.get("reconsideration")
    values = {k: data[k] for k in (f.name for f in fields(Rules)) if k in data}
    values.update(
        eligible_kinds=_tuple(data.get("eligible_kinds") or ("enterprise",)),
        claim_evidence=_tuple(data.get("claim_evidence")),
        settlement_days=_tuple(data.get("settlement_days")),
        reconsideration=Reconsideration(**recon) if recon else None,
        schemes=tuple(schemes),
        blocks=dict(data.get("blocks") or {}),
    )
    if not values["eligible_kinds"] or set(values["eligible_kinds"]) - set(ORGANISATION_KINDS):
        errors["eligible_kinds"] = [_l("Organisation kinds among: %(words)s.", words=", ".join(ORGANISATION_KINDS))]
    if not all(_month_day(md) for md in values["settlement_days"]):
        errors["settlement_days"] = [_l("Settlement days as month-day, e.g. 06-30.")]
    if values.get("selection", "first_come") not in SELECTIONS:
        errors["selection"] = [_l("Choose one of the selections.")]
    if not values["claim_evidence"] or set(values["claim_evidence"]) - set(EVIDENCE_KINDS):
        errors["claim_evidence"] = [_l("Evidence kinds among: %(words)s.", words=", ".join(EVIDENCE_KINDS))]
    for name in (
        "min_established_years",
        "yearly_total_fen",
        "validity_days",
        "unused_reclaim_days",
        "completion_working_days",
        "review_working_days",
        "notice_before_grant_working_days",
        "notice_working_days",
        "query_working_days",
        "exit_notice_days",
        "ban_years",
    ):
        value = values.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            errors[name] = [_l("A number, 0 or more.")]
    if errors:
        raise PolicyError(errors)
    return Rules(**values)
