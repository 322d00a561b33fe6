"""A programme's policy in words, for the programme page: each scheme's share, cap or tiers,
packages, frequency, and the programme-wide rules (yearly total, validity, notice before a grant,
复核 deadlines, reclaim of unused grants, claim evidence); and what one policy version changed
relative to the one before it. Sentences are English here and Chinese in the translations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shop.i18n import _l
from shop.labels import label
from shop.money import format_fen
from shop.presets import CapTier, Rules, Scheme
from wallet.policy_form import CLASS_WORDS, figures

LAYERS = {"infrastructure": _l("infrastructure"), "platform": _l("platform"), "application": _l("application")}
FACT_WORDS = {
    "last_year_tax_fen": _l("Last year's taxes"),
    "main_revenue_fen": _l("Main revenue"),
    "employees": _l("Employees"),
    "packages": _l("packages"),
    "seats": _l("seats"),
    "certificates": _l("Certificate"),
    "enterprise_class": _l("Enterprise class"),
    "project": _l("Project"),
}
VALUE_WORDS = {
    **CLASS_WORDS,
    "workshop": _l("smart workshop digitalisation"),
    "lianghua": _l("两化融合 (integration of IT and industry)"),
}
FLOW_WORDS = {
    "quota": _l("Quota first: apply, be granted, then spend"),
    "contract": _l("Contract first"),
    "post_subsidy": _l("Subsidy after the purchase"),
}
# a list's separator: "、" in Chinese
SEPARATOR = _l(", ")
STAGE_WORDS = {
    "county": _l("the county's reviewers (县/区)"),
    "city": _l("the city's reviewers (市)"),
}
FREQUENCY_WORDS = {
    "once_ever": _l("Once ever (一次)"),
    "once_per_programme": _l("Once per programme (每期)"),
}


@dataclass(frozen=True)
class SchemeWords:
    key: str
    title: str
    lines: list[Any]


@dataclass(frozen=True)
class PolicyWords:
    general: list[Any]
    schemes: list[SchemeWords]


def _fact_value(fact: str, value: Any) -> str:
    if fact.endswith("_fen") and isinstance(value, int):
        return format_fen(value)
    return str(VALUE_WORDS.get(value, value))


def tier_line(tier: CapTier) -> Any:
    """``上年纳税 ≥ ¥20,000,000.00：上限 ¥1,000,000.00``."""
    fact = FACT_WORDS.get(tier.fact, tier.fact)
    if tier.at_least is not None:
        return _l(
            "%(fact)s ≥ %(value)s: cap %(cap)s",
            fact=fact,
            value=_fact_value(tier.fact, tier.at_least),
            cap=format_fen(tier.cap_fen),
        )
    return _l(
        "%(fact)s is %(value)s: cap %(cap)s",
        fact=fact,
        value=_fact_value(tier.fact, tier.equals),
        cap=format_fen(tier.cap_fen),
    )


def scheme_lines(scheme: Scheme) -> list[Any]:
    lines: list[Any] = [FLOW_WORDS.get(scheme.flow, scheme.flow)]
    if scheme.ratio_by_calendar_year:
        years = str(SEPARATOR).join(f"{y} {r}%" for y, r in scheme.ratio_by_calendar_year.items())
        lines.append(_l("The voucher pays of the contract, by the year it is applied for: %(years)s.", years=years))
    if scheme.review_stages:
        stages = str(SEPARATOR).join(str(STAGE_WORDS.get(s, s)) for s in scheme.review_stages)
        lines.append(_l("Reviewed in turn by: %(stages)s.", stages=stages))
    if scheme.ratio_by_calendar_year:
        pass  # said above
    elif scheme.ratio_by_year:
        years = str(SEPARATOR).join(
            str(_l("year %(n)d %(ratio)d%%", n=i, ratio=r)) for i, r in enumerate(scheme.ratio_by_year, 1)
        )
        lines.append(_l("The voucher pays by year of the subscription: %(years)s.", years=years))
    elif scheme.ratios:
        if len(set(scheme.ratios.values())) == 1:
            lines.append(_l("The voucher pays %(ratio)d%% of the price.", ratio=next(iter(scheme.ratios.values()))))
        else:
            layers = str(SEPARATOR).join(f"{LAYERS.get(k, k)} {v}%" for k, v in scheme.ratios.items())
            lines.append(_l("The voucher pays, by layer: %(layers)s.", layers=layers))
    if scheme.categories:
        words = str(SEPARATOR).join(str(label(c)) for c in scheme.categories)
        lines.append(_l("For products of: %(categories)s.", categories=words))
    for tier in scheme.cap_tiers:
        lines.append(tier_line(tier))
    if scheme.cap_tiers:
        lines.append(_l("Otherwise: cap %(cap)s", cap=format_fen(scheme.cap_fen)))
    elif scheme.cap_fen:
        lines.append(_l("Cap per enterprise: %(cap)s", cap=format_fen(scheme.cap_fen)))
    for size, price in scheme.package_price_fen.items():
        lines.append(_l("A package of %(seats)s seats: %(price)s", seats=size, price=format_fen(price)))
    if scheme.package_limits:
        limits = str(SEPARATOR).join(
            str(_l("%(kind)s %(n)d", kind=CLASS_WORDS.get(k, k), n=n)) for k, n in scheme.package_limits.items()
        )
        lines.append(_l("Packages at most: %(limits)s.", limits=limits))
    lines.append(FREQUENCY_WORDS.get(scheme.frequency, scheme.frequency))
    if scheme.max_years:
        lines.append(_l("Granted in at most %(n)d years, applied for each year.", n=scheme.max_years))
    if scheme.required_facts:
        facts = str(SEPARATOR).join(str(FACT_WORDS.get(f, f)) for f in scheme.required_facts)
        lines.append(_l("The application declares: %(facts)s.", facts=facts))
    return lines


def general_lines(rules: Rules) -> list[Any]:
    lines: list[Any] = []
    if rules.min_established_years:
        lines.append(_l("Enterprises established at least %(n)d year(s) ago.", n=rules.min_established_years))
    if rules.yearly_total_fen is not None:
        lines.append(
            _l("At most %(total)s per enterprise a year over all schemes.", total=format_fen(rules.yearly_total_fen))
        )
    if rules.validity_days is None:
        lines.append(_l("Vouchers are valid to the end of the programme."))
    else:
        lines.append(_l("Vouchers are valid for %(n)d days from the grant.", n=rules.validity_days))
    if rules.unused_reclaim_days is not None:
        lines.append(_l("A grant left unused for %(n)d days is reclaimed.", n=rules.unused_reclaim_days))
    if rules.selection == "first_come":
        lines.append(_l("First come, first served."))
    elif rules.selection == "ranked":
        lines.append(
            _l("Ranked by the reviewers' scores, granted in rank order until the budget is used (择优, 额满即止).")
        )
    if rules.completion_working_days is not None:
        lines.append(
            _l(
                "An application returned for completion is completed within %(n)d working days.",
                n=rules.completion_working_days,
            )
        )
    if rules.notice_before_grant_working_days:
        lines.append(
            _l(
                "Grants are published for %(n)d working days before the quota is issued; objections may be "
                "raised during the notice.",
                n=rules.notice_before_grant_working_days,
            )
        )
    else:
        lines.append(_l("A grant takes effect at once."))
    if (recon := rules.reconsideration) is not None:
        lines.append(
            _l(
                "复核: asked in writing during the notice or within %(ask)d working days after it, accepted or "
                "not within %(accept)d working days, decided within %(decide)d working days; the grant waits "
                "for the decision.",
                ask=recon.request_working_days,
                accept=recon.accept_working_days,
                decide=recon.decide_working_days,
            )
        )
    lines.append(_l("Grants and disbursements are published for %(n)d working days.", n=rules.notice_working_days))
    if rules.claim_evidence:
        evidence = str(SEPARATOR).join(str(label(e)) for e in rules.claim_evidence)
        lines.append(_l("A claim carries: %(evidence)s.", evidence=evidence))
    lines.append(_l("A query on a claim is answered within %(n)d working days.", n=rules.query_working_days))
    for where, amount in sorted(rules.blocks.items()):
        lines.append(_l("Budget block for %(where)s: %(amount)s", where=where, amount=format_fen(amount)))
    return lines


def describe(rules: Rules) -> PolicyWords:
    return PolicyWords(general_lines(rules), [SchemeWords(s.key, s.title, scheme_lines(s)) for s in rules.schemes])


# -- what a version changed --------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    rule: str
    label: Any
    before: str
    after: str


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "schemes" and not prefix:
            for scheme in value:
                out.update(_flatten(scheme, f"schemes.{scheme['key']}."))
        elif isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = list(value) if isinstance(value, tuple) else value
    return out


def _shown(rule: str, value: Any) -> str:
    if value is None:
        return "—"
    if rule.endswith("_fen") or "_fen." in rule:
        return format_fen(value) if isinstance(value, int) else str(value)
    if ".ratio" in rule:
        return ", ".join(f"{v}%" for v in value) if isinstance(value, list) else f"{value}%"
    return str(value)


def changes(before: Mapping[str, Any], after: Mapping[str, Any], rules: Rules) -> list[Change]:
    """The rules that differ between two stored rule sets (``PolicyVersion.rules``), in words."""
    old, new = _flatten(before), _flatten(after)
    words = {f.rule: (f"{f.scheme} · {f.label}" if f.scheme else str(f.label)) for f in figures(rules)}
    return [
        Change(rule, words.get(rule, rule), _shown(rule, old.get(rule)), _shown(rule, new.get(rule)))
        for rule in sorted(old.keys() | new.keys(), key=lambda r: (r.startswith("schemes."), r))
        if old.get(rule) != new.get(rule)
    ]
