"""The wallet's commands: what the authority's programme form and an enterprise's quota application
carry, parsed and checked in one place for the pages and the API (every fault at once)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shop import clock
from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
from shop.policy import year_end, year_start
from shop.preset_list import PRESETS
from shop.presets import ENTERPRISE_CLASSES, FACTS
from wallet.rules import LAYERS, check_ratios


@dataclass(frozen=True)
class ProgrammeInput:
    """A programme as the authority's form or the API gives it. Amounts in fen (``budget_fen``) or
    yuan (``budget``, the form); ratios as ``{"ratios": {layer: %}}`` (the API) or ``ratio_<layer>``
    (the form). For an update (``partial``) only the fields given are set; ``year`` is the path's."""

    year: int
    budget_fen: int | None
    enterprise_cap_fen: int | None
    ratios: dict[str, int | None]
    settlement_dates: list[dt.date] | None
    opens_on: dt.date | None
    closes_on: dt.date | None

    @classmethod
    def from_input(cls, data: Mapping[str, Any], *, year: int | None = None) -> ProgrammeInput:
        """A new programme (``year`` read from the data), or the changes to the programme of ``year``."""
        partial = year is not None
        inputs = Inputs(data)
        if not partial:
            year = inputs.year()
        budget = (
            inputs.fen("budget_fen", required=not partial, minimum=0)
            if not partial or _present(inputs, "budget_fen")
            else None
        )
        cap = (
            inputs.fen("enterprise_cap_fen", required=not partial, minimum=1)
            if not partial or _present(inputs, "enterprise_cap_fen")
            else None
        )
        raw_ratios = data.get("ratios")
        ratios: dict[str, int | None] = {}
        if isinstance(raw_ratios, Mapping):
            sub = Inputs(raw_ratios)
            ratios = {layer: sub.integer(layer, required=not partial, minimum=0, maximum=100) for layer in LAYERS}
            for field, messages in sub.errors.items():
                for message in messages:
                    inputs.error(f"ratios.{field}", message)
        else:
            for layer in LAYERS:
                key = f"ratio_{layer}"
                if not partial or _present(inputs, key):
                    ratios[layer] = inputs.integer(key, required=not partial, minimum=0, maximum=100)
            if raw_ratios is not None:
                inputs.error("ratios", _l("Give the ratios as an object of percentages per layer."))
        if not partial:
            for field, messages in check_ratios(ratios).items():
                if field not in inputs.errors:
                    for message in messages:
                        inputs.error(field, message)
        dates = (
            inputs.dates("settlement_dates", required=False)
            if not partial or _present(inputs, "settlement_dates")
            else None
        )
        opens = inputs.date("applications_open_on", required=False)
        closes = inputs.date("applications_close_on", required=False)
        if not partial and year is not None:
            # a new programme's window is its year unless the form says otherwise
            opens, closes = opens or year_start(year), closes or year_end(year)
            inputs.errors.update(programme_date_errors(year, dates, opens, closes))
        inputs.check()
        return cls(year, budget, cap, ratios, dates, opens, closes)


@dataclass(frozen=True)
class QuotaRequest:
    """An enterprise's application for a year's quota (this year unless it names one)."""

    year: int

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> QuotaRequest:
        inputs = Inputs(data)
        year = inputs.year(default=clock.today().year)
        inputs.check()
        return cls(year)


def _present(inputs: Inputs, field: str) -> bool:
    if field in inputs.data:
        return True
    return field.endswith("_fen") and field.removesuffix("_fen") in inputs.data


def programme_date_errors(year: int, dates: list[dt.date] | None, opens: dt.date, closes: dt.date) -> dict[str, list]:
    """What is wrong with a programme's settlement dates and application window for ``year``."""
    inputs = Inputs({})
    if dates is not None:
        outside = [d for d in dates if d.year != year]
        if outside:
            inputs.error("settlement_dates", _l("Settlement dates must fall in %(year)d.", year=year))
        if len(set(dates)) != len(dates):
            inputs.error("settlement_dates", _l("A settlement date is given twice."))
    if opens.year != year or closes.year != year:
        inputs.error("applications_open_on", _l("The application window must fall in %(year)d.", year=year))
    elif opens > closes:
        inputs.error("applications_close_on", _l("The window closes before it opens."))
    return inputs.errors


def check_programme_dates(year: int, dates: list[dt.date] | None, opens: dt.date, closes: dt.date) -> None:
    if errors := programme_date_errors(year, dates, opens, closes):
        raise ValidationError(errors)


CODE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


@dataclass(frozen=True)
class ProgrammeSpec:
    """A programme from a preset (API.md "Programmes as policy"): its code, title, jurisdiction,
    period, budget, settlement dates, budget blocks (``allocations``) and overrides of the preset."""

    preset: str
    code: str
    title: str | None
    jurisdiction: str
    starts_on: dt.date
    ends_on: dt.date
    budget_fen: int
    settlement_dates: list[dt.date]
    allocations: dict[str, int]
    overrides: dict[str, Any]

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> ProgrammeSpec:
        inputs = Inputs(data)
        preset = inputs.choice("preset", sorted(PRESETS))
        code = inputs.text("code", max_length=40)
        if code and not CODE.fullmatch(code):
            inputs.error("code", _l("Small letters, digits and hyphens, starting with a letter (e.g. baiyun-2026)."))
        title = inputs.text("title", required=False, max_length=200)
        jurisdiction = inputs.text("jurisdiction", max_length=12)
        if jurisdiction and not re.fullmatch(r"\d{2}|\d{4}|\d{6}", jurisdiction):
            inputs.error("jurisdiction", _l("A division code prefix of 2, 4 or 6 digits (52, 5201, 440111)."))
        starts, ends = inputs.date("starts_on"), inputs.date("ends_on")
        if starts and ends and ends < starts:
            inputs.error("ends_on", _l("The programme ends before it starts."))
        budget = inputs.fen("budget_fen", minimum=0)
        dates = inputs.dates("settlement_dates", required=False) or []
        if starts and ends and any(not starts <= d <= ends for d in dates):
            inputs.error("settlement_dates", _l("Settlement dates must fall in the programme's period."))
        allocations: dict[str, int] = {}
        raw_allocations = data.get("allocations") or []
        if not isinstance(raw_allocations, list):
            inputs.error("allocations", _l("Give the blocks as a list of {jurisdiction, budget_fen}."))
            raw_allocations = []
        for i, block in enumerate(raw_allocations):
            sub = Inputs(block if isinstance(block, Mapping) else {})
            where, amount = sub.text("jurisdiction", max_length=12), sub.fen("budget_fen", minimum=1)
            if where and jurisdiction and (where == jurisdiction or not where.startswith(jurisdiction)):
                sub.error("jurisdiction", _l("A block lies inside the programme's jurisdiction."))
            for field, messages in sub.errors.items():
                for message in messages:
                    inputs.error(f"allocations.{i}.{field}", message)
            if where and amount:
                allocations[where] = allocations.get(where, 0) + amount
        if budget is not None and sum(allocations.values()) > budget:
            inputs.error("allocations", _l("The blocks add up to more than the budget."))
        overrides = data.get("overrides") or {}
        if not isinstance(overrides, Mapping):
            inputs.error("overrides", _l("Give the overrides as an object of rule → value."))
            overrides = {}
        inputs.check()
        return cls(preset, code, title, jurisdiction, starts, ends, budget, sorted(dates), allocations, dict(overrides))


@dataclass(frozen=True)
class GrantRequest:
    """An application for a scheme of a programme, with the facts its cap depends on; ``year`` alone
    (the old form) names the province-wide programme of that year and its ``default`` scheme."""

    programme: str | None
    scheme: str
    facts: dict[str, Any]
    year: int

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> GrantRequest:
        inputs = Inputs(data)
        programme = inputs.text("programme", required=False, max_length=40)
        scheme = inputs.text("scheme", required=False, max_length=40, default="default")
        year = inputs.year(required=False, default=clock.today().year)
        raw = data.get("facts") or {}
        facts: dict[str, Any] = {}
        if not isinstance(raw, Mapping):
            inputs.error("facts", _l("Give the facts as an object."))
            raw = {}
        for name, value in raw.items():
            kind = FACTS.get(name)
            if kind is None:
                inputs.error(f"facts.{name}", _l("There is no such fact."))
            elif kind is int:
                number = Inputs({name: value}).integer(name, minimum=0)
                if number is None:
                    inputs.error(f"facts.{name}", _l("A whole number, 0 or more."))
                facts[name] = number
            elif kind is list:
                if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 40 for v in value):
                    inputs.error(f"facts.{name}", _l("A list of words."))
                else:
                    facts[name] = sorted(set(value))
            elif not isinstance(value, str) or len(value) > 40:
                inputs.error(f"facts.{name}", _l("Must be text."))
            elif name == "enterprise_class" and value not in ENTERPRISE_CLASSES:
                inputs.error(f"facts.{name}", _l("One of: %(words)s.", words=", ".join(ENTERPRISE_CLASSES)))
            else:
                facts[name] = value
        inputs.check()
        return cls(programme, scheme or "default", facts, year)
