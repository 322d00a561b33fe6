"""The wallet's commands: what the authority's programme form and an enterprise's quota application
carry, parsed and checked in one place for the pages and the API (every fault at once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shop import clock
from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
from shop.policy import year_end, year_start
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
