"""Programme and quota rules (第十五条, 第十六条, 四(二)) in plain Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orgs.rules import established_years
from shop.i18n import _l
from shop.policy import Layer
from shop.presets import Scheme

LAYERS = tuple(layer.value for layer in Layer)


@dataclass(frozen=True)
class Applicant:
    kind: str
    status: str
    established_on: dt.date
    region_code: str
    blacklisted: bool


@dataclass(frozen=True)
class Window:
    opens_on: dt.date
    closes_on: dt.date


def eligibility_failures(
    applicant: Applicant,
    on_day: dt.date,
    *,
    province_prefix: str,
    window: Window,
    min_established_years: int,
    place: str | None = None,
    kinds: tuple[str, ...] = ("enterprise",),
) -> list:
    """Every condition an enterprise fails for the year's quota; empty when it is eligible.
    第十四条: a certified enterprise of the province, established one year or more, independent, without
    a bad-credit record; 四(二): applications inside the programme's window."""
    failures = []
    if applicant.kind not in kinds:
        failures.append(_l("Only enterprises apply for vouchers."))
    if applicant.status not in ("certified",):
        failures.append(_l("The enterprise must be certified first."))
    if applicant.blacklisted:
        failures.append(_l("The enterprise is on the blacklist."))
    if not applicant.region_code.startswith(province_prefix):
        if place:
            failures.append(_l("Only enterprises registered in the area of %(place)s are eligible.", place=place))
        else:
            failures.append(_l("Only enterprises registered in the province are eligible."))
    if established_years(applicant.established_on, on_day) < min_established_years:
        failures.append(
            _l(
                "The enterprise must have been established for at least one year (it was established on %(day)s).",
                day=applicant.established_on.isoformat(),
            )
        )
    if on_day < window.opens_on:
        failures.append(_l("Applications open on %(day)s.", day=window.opens_on.isoformat()))
    elif on_day > window.closes_on:
        failures.append(_l("Applications closed on %(day)s.", day=window.closes_on.isoformat()))
    return failures


def grant_size(cap_fen: int, budget_left_fen: int) -> int:
    """先申先得, 总额控制: an application reserves the cap, or what the budget has left when that is less."""
    return max(0, min(cap_fen, budget_left_fen))


def check_ratios(ratios: dict[str, int | None]) -> dict[str, list]:
    errors: dict[str, list] = {}
    for layer in LAYERS:
        value = ratios.get(layer)
        if value is None:
            errors.setdefault(f"ratios.{layer}", []).append(_l("This field is required."))
        elif not 0 <= value <= 100:
            errors.setdefault(f"ratios.{layer}", []).append(_l("A percentage between 0 and 100."))
    return errors


# -- schemes (shop.presets): caps from declared facts, ratios by year of subscription ----------------


def scheme_cap(scheme: Scheme, facts: Mapping[str, Any]) -> tuple[int, dict[str, list]]:
    """The most a grant of ``scheme`` may be for an applicant declaring ``facts``, and what is wrong
    with the facts (a required one missing, too many packages). Tiers are tried in order."""
    errors: dict[str, list] = {}
    for name in scheme.required_facts:
        if facts.get(name) in (None, "", []):
            errors.setdefault(f"facts.{name}", []).append(_l("This scheme needs this fact."))
    if errors:
        return 0, errors
    if scheme.package_price_fen:
        price = scheme.package_price_fen.get(str(facts.get("seats")))
        if price is None:
            sizes = "、".join(sorted(scheme.package_price_fen, key=int))
            errors["facts.seats"] = [_l("Packages come with %(sizes)s seats.", sizes=sizes)]
            return 0, errors
        klass = str(facts.get("enterprise_class") or "other")
        limit = scheme.package_limits.get(klass, scheme.package_limits.get("other", 0))
        packages = int(facts.get("packages") or 0)
        if not 1 <= packages <= limit:
            errors["facts.packages"] = [_l("Between 1 and %(n)d packages for this enterprise.", n=limit)]
            return 0, errors
        return packages * price, errors
    for tier in scheme.cap_tiers:
        value = facts.get(tier.fact)
        if tier.at_least is not None and isinstance(value, int) and value >= tier.at_least:
            return tier.cap_fen, errors
        if tier.equals is not None and (value == tier.equals or (isinstance(value, list) and tier.equals in value)):
            return tier.cap_fen, errors
    return scheme.cap_fen, errors


def scheme_ratios(scheme: Scheme, subscription_year: int) -> dict[str, int]:
    """The percent of a product's price a wallet of ``scheme`` pays, by layer (and by category where
    the scheme sets one, which comes first): the scheme's ratios, or the ratio of the subscription's
    year for every layer (0 once the subsidy period is over)."""
    if scheme.ratio_by_year:
        index = subscription_year - 1
        percent = scheme.ratio_by_year[index] if 0 <= index < len(scheme.ratio_by_year) else 0
        return {layer: percent for layer in LAYERS}
    by_category = {key: int(value) for key, value in scheme.ratios.items() if key not in LAYERS}
    return {layer: int(scheme.ratios.get(layer, 0)) for layer in LAYERS} | by_category


def grant_amount(cap_fen: int, budget_left_fen: int, yearly_left_fen: int | None) -> int:
    """先到先得 within the budget and, where the policy sets one, the enterprise's yearly total."""
    amount = grant_size(cap_fen, budget_left_fen)
    return amount if yearly_left_fen is None else max(0, min(amount, yearly_left_fen))
