"""What oversight's use cases are asked to do, read once from a form or a JSON body, and the filters
of its lists, read from a query string.

Each command is a frozen dataclass whose ``from_input(data)`` checks every field and raises one
ValidationError with every fault (the pattern of ``shop.inputs.Decision``); pages call
``X.from_input(request.form)``, the API ``X.from_input(json_body())``, so both check a field the same
way, and the use cases receive typed values, never a raw mapping. Filters are read with
``from_args(args)``: ``strict`` ones refuse a value they do not know (the API), the others ignore it
(a page's tabs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from oversight.rules import REASON_MIN, SUBJECT_MAX
from oversight.scorecards import SCORECARD_SORTS
from oversight.states import ComplaintKind, ComplaintStatus, NoticeKind, ObjectionStatus
from shop import clock
from shop.inputs import TEXT_MAX, Inputs

# -- public notices and objections --------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectionInput:
    """异议: why an entry of the public notice is wrong."""

    reason: str

    @classmethod
    def from_input(cls, values: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(values)
        reason = inputs.reason(required=True, min_length=REASON_MIN)
        inputs.check()
        return cls(reason)


@dataclass(frozen=True)
class OperatorText:
    """What the operator writes to close a case, published with it: the answer to an objection, the
    resolution of a complaint. Both read the same way; ``FIELD`` names the field."""

    text: str
    FIELD: ClassVar[str] = "answer"

    @classmethod
    def from_input(cls, values: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(values)
        text = inputs.text(cls.FIELD, max_length=TEXT_MAX, min_length=REASON_MIN)
        inputs.check()
        return cls(text)


@dataclass(frozen=True)
class AnswerInput(OperatorText):
    """The operator's answer to an objection."""

    FIELD: ClassVar[str] = "answer"


@dataclass(frozen=True)
class NoticeFilter:
    """In notice today (``current``) or a year's archive, of one kind or both, by organisation name."""

    view: str = "current"
    kind: NoticeKind | None = None
    year: int | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(args)
        view = inputs.choice("view", ["current", "archive"], required=False, default="current")
        kind = inputs.choice("kind", [k.value for k in NoticeKind], required=False)
        year = inputs.year(required=False, default=clock.today().year)
        q = inputs.text("q", required=False, max_length=100)
        inputs.check()
        return cls(view, NoticeKind(kind) if kind else None, year, q)


@dataclass(frozen=True)
class ObjectionFilter:
    """Open or answered objections; anything else lists them all."""

    status: ObjectionStatus | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None) -> Self:
        status = (args or {}).get("status")
        return cls(ObjectionStatus(status) if status in {s.value for s in ObjectionStatus} else None)


# -- complaints ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintInput:
    """五: an enterprise's complaint about the provider of one of its orders."""

    order_id: int
    kind: ComplaintKind
    subject: str
    description: str

    @classmethod
    def from_input(cls, values: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(values)
        order_id = inputs.id("order_id")
        kind = inputs.choice("kind", [k.value for k in ComplaintKind])
        subject = inputs.text("subject", max_length=SUBJECT_MAX, min_length=REASON_MIN)
        description = inputs.text("description", max_length=TEXT_MAX, min_length=REASON_MIN)
        inputs.check()
        return cls(order_id, ComplaintKind(kind), subject, description)


@dataclass(frozen=True)
class ReplyInput:
    """A message on a complaint."""

    body: str

    @classmethod
    def from_input(cls, values: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(values)
        body = inputs.text("body", max_length=TEXT_MAX, min_length=REASON_MIN)
        inputs.check()
        return cls(body)


@dataclass(frozen=True)
class ResolutionInput(OperatorText):
    """How the operator resolved a complaint."""

    FIELD: ClassVar[str] = "resolution"


@dataclass(frozen=True)
class ComplaintFilter:
    """Complaints of one status, or all of them. ``strict`` (the API) refuses an unknown status; a
    page lists them all instead."""

    status: ComplaintStatus | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None, *, strict: bool = True) -> Self:
        choices = [s.value for s in ComplaintStatus]
        if not strict:
            status = (args or {}).get("status")
            return cls(ComplaintStatus(status) if status in choices else None)
        inputs = Inputs(args)
        status = inputs.choice("status", choices, required=False)
        inputs.check()
        return cls(ComplaintStatus(status) if status else None)


# -- reports ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    """The year of the dashboard, the report and the scorecards (this year by default), and the
    scorecards' order (by orders unless a known one is asked for)."""

    year: int
    sort: str = "orders"
    programme: str | None = None  # a programme's code: its own figures

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(args)
        year = inputs.year(required=False, default=clock.today().year)
        programme = inputs.text("programme", required=False, max_length=40)
        inputs.check()
        sort = (args or {}).get("sort")
        return cls(year, sort if sort in SCORECARD_SORTS else "orders", programme)
