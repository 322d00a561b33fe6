"""The figures of a policy an authority adjusts on a page (the programme-from-preset form and the
programme's "adjust the policy" form), built from the rules themselves: one field per figure, named
``overrides.<dotted rule>`` as the use cases' errors name it, amounts typed in yuan. What the form
sends becomes overrides of the preset only where it differs from the preset (``shop.presets``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
from shop.money import fen_to_yuan_text, parse_yuan
from shop.presets import Rules

PREFIX = "overrides."

# the programme-wide figures; those that may be empty (no limit, not used) say so
GENERAL = (
    ("yearly_total_fen", _l("Yearly total per enterprise, all schemes (yuan)"), True),
    ("min_established_years", _l("Minimum years since establishment"), False),
    ("validity_days", _l("Validity in days from the grant (empty: to the end of the programme)"), True),
    ("unused_reclaim_days", _l("Reclaimed after this many days unused"), True),
    ("completion_working_days", _l("Working days to complete a returned application"), True),
    ("review_working_days", _l("Working days for each review stage (empty: five)"), True),
    ("notice_before_grant_working_days", _l("Working days of notice before the quota is issued"), True),
    ("notice_working_days", _l("Working days grants and disbursements are published"), False),
    ("query_working_days", _l("Working days to answer a query on a claim"), False),
    ("exit_notice_days", _l("Days of notice before a provider leaves"), False),
    ("ban_years", _l("Years a provider is banned after fraud (empty: until taken off)"), True),
)
RECONSIDERATION = (
    ("request_working_days", _l("复核: working days to ask after the notice")),
    ("accept_working_days", _l("复核: working days to accept or refuse")),
    ("decide_working_days", _l("复核: working days to decide")),
)
LAYER_WORDS = {
    "infrastructure": _l("Voucher share, infrastructure layer (%)"),
    "platform": _l("Voucher share, platform layer (%)"),
    "application": _l("Voucher share, application layer (%)"),
}


@dataclass(frozen=True)
class Figure:
    """One adjustable figure: its dotted rule, its words, its kind (``fen`` typed in yuan, ``number``,
    ``percent``, ``percents`` a list such as 100, 80, 60) and the scheme it belongs to, if any."""

    rule: str
    label: Any
    kind: str
    value: Any
    nullable: bool = False
    scheme: str | None = None

    @property
    def name(self) -> str:
        return PREFIX + self.rule

    @property
    def text(self) -> str:
        """The value as the field shows it."""
        if self.value is None:
            return ""
        if self.kind == "fen":
            return fen_to_yuan_text(self.value)
        if self.kind == "percents":
            return ", ".join(str(v) for v in self.value)
        return str(self.value)


def figures(rules: Rules) -> list[Figure]:
    """The figures of ``rules`` a page lets the authority change, programme-wide first."""
    out = []
    for rule, words, nullable in GENERAL:
        value = getattr(rules, rule)
        out.append(Figure(rule, words, "fen" if rule.endswith("_fen") else "number", value, nullable))
    if rules.reconsideration is not None:
        for rule, words in RECONSIDERATION:
            out.append(Figure(f"reconsideration.{rule}", words, "number", getattr(rules.reconsideration, rule)))
    for scheme in rules.schemes:
        prefix, title = f"schemes.{scheme.key}", scheme.title
        for layer, ratio in scheme.ratios.items():
            out.append(
                Figure(f"{prefix}.ratios.{layer}", LAYER_WORDS.get(layer, layer), "percent", ratio, scheme=title)
            )
        if scheme.ratio_by_year:
            words = _l("Voucher share by year of the subscription (%, e.g. 100, 80, 60)")
            out.append(Figure(f"{prefix}.ratio_by_year", words, "percents", list(scheme.ratio_by_year), scheme=title))
        for year, ratio in scheme.ratio_by_calendar_year.items():
            words = _l("Voucher share of a contract applied for in %(year)s (%%)", year=year)
            out.append(Figure(f"{prefix}.ratio_by_calendar_year.{year}", words, "percent", ratio, scheme=title))
        if scheme.cap_fen or not scheme.package_price_fen:
            words = _l("Cap (yuan)") if not scheme.cap_tiers else _l("Cap where no tier applies (yuan)")
            out.append(Figure(f"{prefix}.cap_fen", words, "fen", scheme.cap_fen, scheme=title))
        for size, price in scheme.package_price_fen.items():
            words = _l("Price of a package of %(seats)s seats (yuan)", seats=size)
            out.append(Figure(f"{prefix}.package_price_fen.{size}", words, "fen", price, scheme=title))
        for kind, limit in scheme.package_limits.items():
            words = _l("Packages at most (%(kind)s)", kind=CLASS_WORDS.get(kind, kind))
            out.append(Figure(f"{prefix}.package_limits.{kind}", words, "number", limit, scheme=title))
    return out


CLASS_WORDS = {
    "sishang": _l("“四上” enterprises"),
    "headquarters": _l("headquarters"),
    "new_investment": _l("new investment"),
    "other": _l("other enterprises"),
}


def form_of(rules: Rules) -> dict[str, str]:
    """The form's values for ``rules`` (a preset's, or a programme's current version)."""
    return {f.name: f.text for f in figures(rules)}


def overrides_from_form(data: Mapping[str, Any], preset: Rules, kept: Mapping[str, Any] | None = None) -> dict:
    """The overrides the form's figures make of ``preset``: each figure read (yuan for amounts), sent
    only where it differs from the preset; ``kept`` are overrides the form does not show (set through
    the API), carried over. Every fault at once, keyed by the field's name; raises ``ValidationError``."""
    inputs = Inputs(data)
    shown = figures(preset)
    overrides = {k: v for k, v in (kept or {}).items() if k not in {f.rule for f in shown}}
    for figure in shown:
        raw = str(data.get(figure.name, "") or "").strip()
        if not raw and figure.nullable:
            value: Any = None
        elif figure.kind == "percents":
            value = _percents(inputs, figure.name, raw)
        elif figure.kind == "fen":
            value = _yuan(inputs, figure.name, raw)
        else:
            maximum = 100 if figure.kind == "percent" else 100_000
            value = inputs.integer(figure.name, minimum=0, maximum=maximum)
        if value != figure.value and figure.name not in inputs.errors:
            overrides[figure.rule] = value
    inputs.check()
    return overrides


def _yuan(inputs: Inputs, name: str, raw: str) -> int | None:
    try:
        value = parse_yuan(raw)
    except ValueError:
        inputs.error(name, _l("Enter an amount in yuan, e.g. 1234.56."))
        return None
    if value < 0:
        inputs.error(name, _l("Must not be negative."))
    return value


def _percents(inputs: Inputs, name: str, raw: str) -> list[int] | None:
    parts = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
    if not parts or not all(p.isdigit() and int(p) <= 100 for p in parts):
        inputs.error(name, _l("Percentages between 0 and 100, separated by commas."))
        return None
    return [int(p) for p in parts]


def field_errors(error: ValidationError | Any) -> dict[str, list]:
    """A use case's errors as the form names its fields: ``budget_fen`` is typed in yuan as ``budget``
    (a figure keeps its dotted name, ``overrides.schemes.public_cloud.cap_fen``); a refusal without
    fields shows above the form."""
    out: dict[str, list] = {}
    for key, messages in (getattr(error, "errors", None) or {"form": [error.detail]}).items():
        name = key if key.startswith(PREFIX) else key.removesuffix("_fen")
        out.setdefault(name, []).extend(messages)
    return out


def grouped(items: list[Figure]) -> list[tuple[str | None, list[Figure]]]:
    """The figures by scheme, in order: the programme-wide ones (``None``) first."""
    out: list[tuple[str | None, list[Figure]]] = []
    for figure in items:
        if not out or out[-1][0] != figure.scheme:
            out.append((figure.scheme, []))
        out[-1][1].append(figure)
    return out
