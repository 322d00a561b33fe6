"""Reading a request's fields, from a JSON body or a submitted form, into typed values.

Pages and the API read their input with the same ``Inputs`` so that a field is checked the same way
whoever sends it; every fault is collected under its field name and raised as one ValidationError.
Domain rules (price ceiling, eligibility…) stay in the rules modules; this only parses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shop.errors import ValidationError
from shop.i18n import _l
from shop.money import parse_yuan

_MISSING = object()
# control characters other than tab and line breaks: never wanted in text, and PostgreSQL cannot
# store NUL at all (it would be a 500)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Beyond any amount, count or id here, and within what the database stores (64-bit) with room for
# sums: a larger number is "too large", never an overflow (a 500). Routes' ``<int:…>`` share it.
LARGEST = 2**62 - 1
ID_MAX = 2**62  # a database id (64-bit, with room)
REASON_MAX = 2000  # a reason, a note, an answer: what a person writes to explain a decision
TEXT_MAX = 4000  # a message of a complaint or an objection
YEAR_MIN, YEAR_MAX = 2000, 2100
_WHOLE = re.compile(r"[+-]?\d+")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


class Inputs:
    def __init__(self, data: Mapping[str, Any] | None) -> None:
        self.data = data if data is not None else {}
        self.errors: dict[str, list[Any]] = {}

    # -- plumbing -------------------------------------------------------------------------------
    def error(self, field: str, message: Any) -> None:
        self.errors.setdefault(field, []).append(message)

    def _raw(self, field: str) -> Any:
        if field not in self.data:
            return _MISSING
        value = self.data[field]
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                return _MISSING
        if value is None:
            return _MISSING
        return value

    def _required(self, field: str, required: bool) -> Any:
        raw = self._raw(field)
        if raw is _MISSING and required:
            self.error(field, _l("This field is required."))
        return raw

    def check(self) -> None:
        """Raise the collected faults, if any."""
        if self.errors:
            raise ValidationError(self.errors)

    def present(self, field: str) -> bool:
        return field in self.data

    # -- typed readers ----------------------------------------------------------------------------
    def text(
        self,
        field: str,
        *,
        required: bool = True,
        max_length: int = 200,
        min_length: int = 0,
        default: str | None = None,
    ) -> str | None:
        raw = self._required(field, required)
        if raw is _MISSING:
            return default
        if not isinstance(raw, str):
            self.error(field, _l("Must be text."))
            return default
        if CONTROL_CHARACTERS.search(raw):
            self.error(field, _l("Remove the control characters (invisible characters pasted with the text)."))
            return default
        if len(raw) > max_length:
            self.error(field, _l("At most %(n)d characters.", n=max_length))
        elif len(raw) < min_length:
            self.error(field, _l("At least %(n)d characters.", n=min_length))
        return raw

    def integer(
        self,
        field: str,
        *,
        required: bool = True,
        minimum: int | None = None,
        maximum: int | None = None,
        default: int | None = None,
    ) -> int | None:
        raw = self._required(field, required)
        if raw is _MISSING:
            return default
        return self._whole_number(field, raw, minimum, maximum, default, _l("Must be a whole number."))

    def _whole_number(
        self, field: str, raw: Any, minimum: int | None, maximum: int | None, default: Any, not_whole: Any
    ) -> Any:
        """A whole number from JSON (an int) or text (digits: ``"²"`` is a digit to ``str.isdigit``
        but not a number), within ``LARGEST`` and the bounds given."""
        if isinstance(raw, str):
            if not _WHOLE.fullmatch(raw):
                self.error(field, not_whole)
                return default
            if len(raw.lstrip("+-").lstrip("0")) > 19:  # past LARGEST anyway; int() of 5,000 digits fails
                self.error(field, _l("The number is too large."))
                return default
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.error(field, not_whole)
            return default
        if abs(raw) > LARGEST:
            self.error(field, _l("The number is too large."))
            return default
        if minimum is not None and raw < minimum:
            self.error(field, _l("Must be at least %(n)d.", n=minimum))
            return default
        if maximum is not None and raw > maximum:
            self.error(field, _l("Must be at most %(n)d.", n=maximum))
            return default
        return raw

    def fen(self, field: str, *, required: bool = True, minimum: int = 0) -> int | None:
        """An amount in fen: an integer in the API (``price_fen``), or yuan typed by a person into a
        page field of the same name without ``_fen`` (``price`` = "1,234.56")."""
        if field in self.data or not field.endswith("_fen"):
            return self.integer(field, required=required, minimum=minimum)
        yuan_field = field.removesuffix("_fen")
        raw = self._required(yuan_field, required)
        if raw is _MISSING:
            return None
        try:
            value = parse_yuan(str(raw))
        except ValueError:
            self.error(yuan_field, _l("Enter an amount in yuan, e.g. 1234.56."))
            return None
        if abs(value) > LARGEST:
            self.error(yuan_field, _l("The amount is too large."))
            return None
        if value < minimum:
            self.error(yuan_field, _l("Must not be negative."))
        return value

    def fen_field(self, field: str) -> str:
        """Where ``fen(field)`` reads an amount and reports its faults: ``price_fen`` itself, or its
        yuan twin ``price`` when only that was sent."""
        yuan = field.removesuffix("_fen")
        return yuan if field.endswith("_fen") and yuan in self.data and field not in self.data else field

    def given(self, field: str) -> bool:
        """Whether a field was sent (an amount in fen, or in yuan under its twin's name): a partial
        change reads only these."""
        return self.present(field) or self.fen_field(field) != field

    def year(self, field: str = "year", *, required: bool = True, default: int | None = None) -> int | None:
        """A programme year."""
        return self.integer(field, required=required, minimum=YEAR_MIN, maximum=YEAR_MAX, default=default)

    def id(self, field: str, *, required: bool = True) -> int | None:
        """The id of a row (positive, 64-bit)."""
        return self.integer(field, required=required, minimum=1, maximum=ID_MAX)

    def reason(self, field: str = "reason", *, required: bool = True, min_length: int = 0) -> str | None:
        """Why a person decides as they do (a rejection, a sanction, a refund)."""
        return self.text(field, required=required, max_length=REASON_MAX, min_length=min_length)

    def boolean(self, field: str, *, default: bool = False) -> bool:
        raw = self._raw(field)
        if raw is _MISSING:
            return default
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("1", "true", "on", "yes", "y"):
            return True
        if isinstance(raw, str) and raw.lower() in ("0", "false", "off", "no", "n"):
            return False
        self.error(field, _l("Must be true or false."))
        return default

    def date(self, field: str, *, required: bool = True) -> dt.date | None:
        raw = self._required(field, required)
        if raw is _MISSING:
            return None
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            self.error(field, _l("Enter a date as YYYY-MM-DD."))
            return None

    def choice(
        self, field: str, choices: Iterable[str], *, required: bool = True, default: str | None = None
    ) -> str | None:
        raw = self._required(field, required)
        if raw is _MISSING:
            return default
        allowed = list(choices)
        if raw not in allowed:
            self.error(field, _l("Choose one of: %(choices)s.", choices=", ".join(allowed)))
            return default
        return raw

    def list_of(self, field: str, *, required: bool = True) -> list[Any]:
        """A list: a JSON array, or a form field given several times (``getlist``)."""
        if hasattr(self.data, "getlist"):
            values = [v for v in self.data.getlist(field) if str(v).strip() != ""]
        else:
            values = self.data.get(field, [])
            if values is None:
                values = []
            if not isinstance(values, list):
                self.error(field, _l("Must be a list."))
                return []
        if required and not values:
            self.error(field, _l("This field is required."))
        return values

    def integers(
        self, field: str, *, required: bool = True, minimum: int | None = None, maximum: int | None = None
    ) -> list[int]:
        """Whole numbers (ids, mostly), each read as ``integer`` reads one; [] after a fault."""
        out: list[int] = []
        for value in self.list_of(field, required=required):
            number = self._whole_number(
                field,
                value.strip() if isinstance(value, str) else value,
                minimum,
                maximum,
                None,
                _l("Must be a list of whole numbers."),
            )
            if number is None:
                return []
            out.append(number)
        return out

    def dates(self, field: str, *, required: bool = True) -> list[dt.date]:
        values = self.list_of(field, required=required)
        if len(values) == 1 and isinstance(values[0], str) and ("," in values[0] or "\n" in values[0]):
            values = [v for v in re.split(r"[,\s]+", values[0]) if v]
        out: list[dt.date] = []
        for value in values:
            try:
                out.append(dt.date.fromisoformat(str(value).strip()))
            except ValueError:
                self.error(field, _l("Enter dates as YYYY-MM-DD: %(value)s is not one.", value=value))
        return out


@dataclass(frozen=True)
class ReasonInput:
    """Why a person does what they must explain: a provider's exit notice, a refund request, an order
    taken out of a claim, a reinstatement, a code taken off the blacklist; required unless the caller
    says otherwise (a provider's own delisting)."""

    reason: str | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None, *, required: bool = True) -> ReasonInput:
        inputs = Inputs(data)
        reason = inputs.reason(required=required)
        inputs.check()
        return cls(reason)


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision: approve, or reject with a reason (every review of the programme:
    certification, listing, quota, refund, claim)."""

    approve: bool
    reason: str | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Decision:
        inputs = Inputs(data)
        decision = inputs.choice("decision", ["approve", "reject"])
        reason = inputs.reason(required=decision == "reject")
        inputs.check()
        return cls(decision == "approve", reason)

    @property
    def value(self) -> str:
        return "approve" if self.approve else "reject"
