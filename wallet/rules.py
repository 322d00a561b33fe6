"""Programme and quota rules (第十五条, 第十六条, 四(二)) in plain Python."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from orgs.rules import established_years
from shop.i18n import _l
from shop.policy import Layer

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
    applicant: Applicant, on_day: dt.date, *, province_prefix: str, window: Window, min_established_years: int
) -> list:
    """Every condition an enterprise fails for the year's quota; empty when it is eligible.
    第十四条: a certified enterprise of the province, established one year or more, independent, without
    a bad-credit record; 四(二): applications inside the programme's window."""
    failures = []
    if applicant.kind != "enterprise":
        failures.append(_l("Only enterprises apply for vouchers."))
    if applicant.status not in ("certified",):
        failures.append(_l("The enterprise must be certified first."))
    if applicant.blacklisted:
        failures.append(_l("The enterprise is on the blacklist."))
    if not applicant.region_code.startswith(province_prefix):
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
