"""What the contract vouchers' use cases are asked (``orders.contract_vouchers``): an application for an
order (the programme, the facts the scheme asks), a review stage's decision (with the score where the
programme ranks), a lapse. Pages read them from ``request.form``, the API from its JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from shop.errors import ValidationError
from shop.inputs import Decision, Inputs
from wallet.commands import GrantRequest

SCORE_MAX = 100


@dataclass(frozen=True)
class VoucherApplication:
    programme_id: int | None
    facts: dict[str, Any]

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        data = data or {}
        inputs = Inputs(data)
        programme_id = inputs.id("programme_id", required=False)
        raw = data.get("facts")
        if raw is None and hasattr(data, "getlist"):  # a page: a checkbox per certificate
            raw = {"certificates": data.getlist("certificates")} if data.getlist("certificates") else {}
        try:
            facts = GrantRequest.from_input({"facts": raw or {}}).facts
        except ValidationError as error:  # its messages join this command's
            for field, messages in error.errors.items():
                for message in messages:
                    inputs.error(field, message)
            facts = {}
        inputs.check()
        return cls(programme_id, facts)


@dataclass(frozen=True)
class VoucherReview:
    """``decision`` approve or reject (with a reason), and ``score`` 0–100 at a scoring stage."""

    decision: Decision
    score: int | None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        score = inputs.integer("score", required=False, minimum=0, maximum=SCORE_MAX)
        errors: dict[str, list] = {}
        try:
            decision = Decision.from_input(data)
        except ValidationError as error:
            errors = dict(error.errors)
            decision = Decision(False)
        for field, messages in errors.items():
            for message in messages:
                inputs.error(field, message)
        inputs.check()
        return cls(decision, score)
