"""What the claims' use cases are asked to do, read once from a form or a JSON body, and the filters
of their lists, read from a query string.

Each command is a frozen dataclass whose ``from_input(data)`` checks every field and raises one
ValidationError with every fault (the pattern of ``shop.inputs.Decision``, which the reviews take);
pages call ``X.from_input(request.form)``, the API ``X.from_input(json_body())``, so both check a
field the same way, and the use cases of ``claims.services`` and ``claims.reviews`` receive typed
values, never a raw mapping. Filters are read with ``from_args(args)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from claims.rules import normalise_invoice_number
from claims.states import ClaimDocumentKind, ClaimStatus
from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import TEXT_MAX, Inputs

MAX_ORDERS_PER_CLAIM = 1000

# -- the provider's draft ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimInput:
    """A draft claim of these orders (ids, each once, in order: the orders are locked in that order)."""

    order_ids: tuple[int, ...]

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        order_ids = inputs.integers("order_ids")
        if len(order_ids) > MAX_ORDERS_PER_CLAIM:
            inputs.error("order_ids", _l("At most %(n)d orders in one claim.", n=MAX_ORDERS_PER_CLAIM))
        inputs.check()
        return cls(tuple(sorted(set(order_ids))))


@dataclass(frozen=True)
class DocumentInput:
    """第二十二条: a document of evidence (its file comes separately); an invoice carries its number,
    as printed, and its amount (``invoice_amount_fen`` in the API, ``invoice_amount`` in yuan on a page)."""

    kind: ClaimDocumentKind
    invoice_number: str | None = None
    invoice_amount_fen: int | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        kind = inputs.choice("kind", [k.value for k in ClaimDocumentKind])
        number = amount = None
        if kind == ClaimDocumentKind.INVOICE:
            raw_number = inputs.text("invoice_number", max_length=40)
            number = normalise_invoice_number(raw_number) if raw_number else None
            if raw_number and not number:
                inputs.error("invoice_number", _l("This field is required."))
            amount = inputs.fen("invoice_amount_fen", minimum=1)
        inputs.check()
        return cls(ClaimDocumentKind(kind), number, amount)


# -- reviews, queries and the payment -------------------------------------------------------------------


@dataclass(frozen=True)
class QueryInput:
    """第二十五条: the authority's question to the operator."""

    question: str

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        question = inputs.text("question", max_length=TEXT_MAX)
        inputs.check()
        return cls(question)


@dataclass(frozen=True)
class AnswerInput:
    """The operator's answer to a query."""

    answer: str

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        answer = inputs.text("answer", max_length=TEXT_MAX)
        inputs.check()
        return cls(answer)


@dataclass(frozen=True)
class DisbursementInput:
    """资金拨付: the payment's reference, its day (today if none) and, if given, its amount, which must
    be the approved total. ``amount_field`` is the field a wrong amount is blamed on: ``amount_fen``
    (the API) or ``amount`` (yuan, a page)."""

    reference: str
    paid_on: dt.date | None = None
    amount_fen: int | None = None
    amount_field: str = "amount_fen"

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        reference = inputs.text("reference", max_length=100)
        paid_on = inputs.date("paid_on", required=False)
        amount = inputs.fen("amount_fen", required=False, minimum=1)
        inputs.check()
        return cls(reference, paid_on, amount, "amount_fen" if inputs.present("amount_fen") else "amount")


@dataclass(frozen=True)
class PaymentRequestInput:
    """拨付申请: the programme and the settlement date whose approved claims the authority sends."""

    programme_id: int
    settlement_date: dt.date

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        programme_id = inputs.id("programme_id")
        day = inputs.date("settlement_date")
        inputs.check()
        return cls(programme_id, day)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TransferInput:
    """The finance bureau's transfer of a payment request: its bank reference and the day paid (today if
    none; not in the future, not before the request was sent)."""

    reference: str
    paid_on: dt.date | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        reference = inputs.text("reference", max_length=100)
        paid_on = inputs.date("paid_on", required=False)
        inputs.check()
        return cls(reference, paid_on)  # type: ignore[arg-type]


# -- filters ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimableFilter:
    """The claimable orders confirmed between two days, of an enterprise (part of its name, or its USCC)."""

    confirmed_from: dt.date | None = None
    confirmed_to: dt.date | None = None
    enterprise: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(args)
        start = inputs.date("confirmed_from", required=False)
        end = inputs.date("confirmed_to", required=False)
        enterprise = inputs.text("enterprise", required=False, max_length=100)
        inputs.check()
        return cls(start, end, enterprise)


@dataclass(frozen=True)
class ClaimFilter:
    """Claims of some statuses (``status=a,b``), of a settlement date, of a provider. ``strict`` (the
    API) refuses a wrong value; a page lists every claim instead."""

    status: list[ClaimStatus] | None = None
    settlement_date: dt.date | None = None
    provider_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None, *, strict: bool = True) -> Self:
        try:
            return cls._read(args or {})
        except ValidationError:
            if strict:
                raise
            return cls()

    @classmethod
    def _read(cls, args: Mapping[str, Any]) -> Self:
        inputs = Inputs(args)
        statuses = None
        raw = args.get("status")
        if raw:
            values = [v for v in str(raw).split(",") if v]
            wrong = [v for v in values if v not in {s.value for s in ClaimStatus}]
            if wrong:
                inputs.error(
                    "status", _l("Choose one of: %(choices)s.", choices=", ".join(s.value for s in ClaimStatus))
                )
            else:
                statuses = [ClaimStatus(v) for v in values]
        day = inputs.date("settlement_date", required=False)
        provider_id = inputs.id("provider_id", required=False)
        inputs.check()
        return cls(statuses, day, provider_id)


# -- recoveries (追回) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryInput:
    """A recovery to open against a paid claim: the amount (fen; yuan in a page's ``amount``), why,
    and whether its provider is banned for it (the programme's ``ban_years``)."""

    amount_fen: int
    reason: str
    ban: bool = False
    amount_field: str = "amount_fen"

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        amount = inputs.fen("amount_fen", minimum=1)
        reason = inputs.reason(required=True)
        ban = inputs.boolean("ban")
        inputs.check()
        return cls(amount, reason, ban, inputs.fen_field("amount_fen"))


@dataclass(frozen=True)
class RepaymentInput:
    """A repayment of a recovery: the amount (part of what is owed, or all), its bank reference, its day."""

    amount_fen: int
    reference: str
    paid_on: dt.date
    amount_field: str = "amount_fen"

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        amount = inputs.fen("amount_fen", minimum=1)
        reference = inputs.text("reference", max_length=100)
        paid_on = inputs.date("paid_on")
        inputs.check()
        return cls(amount, reference, paid_on, inputs.fen_field("amount_fen"))
