"""Domain errors with the stable codes of API.md, and their RFC 9457 rendering."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shop.i18n import _l

# code → (HTTP status, title). The codes are the API contract (API.md, "Error codes").
CODES: dict[str, tuple[int, Any]] = {
    "validation_error": (422, _l("The input is not valid")),
    "invalid_uscc": (422, _l("The unified social credit code is not valid")),
    "region_mismatch": (422, _l("The region differs from the division code in the credit code")),
    "duplicate_organisation": (409, _l("This organisation is already registered")),
    "blacklisted": (403, _l("This organisation is on the blacklist")),
    "sanctioned": (409, _l("The organisation or its counterpart is sanctioned")),
    "not_certified": (403, _l("The organisation is not certified")),
    "not_eligible": (422, _l("Not eligible")),
    "price_above_market": (422, _l("The price is above the market price")),
    "invalid_state": (409, _l("This action is not possible in the current state")),
    "quota_already_applied": (409, _l("The quota for this year has already been applied for")),
    "budget_exhausted": (409, _l("The programme budget is used up")),
    "agreement_not_accepted": (422, _l("The transaction agreement must be accepted")),
    "product_unavailable": (409, _l("The product is not available")),
    "price_changed": (409, _l("The amounts changed since they were shown")),
    "payment_declined": (402, _l("The payment was declined")),
    "payment_unavailable": (503, _l("The payment service is unavailable")),
    "idempotency_mismatch": (422, _l("The idempotency key was used with a different request")),
    "missing_documents": (422, _l("Documents are missing")),
    "evidence_mismatch": (422, _l("The invoices do not cover the claim")),
    "forbidden": (403, _l("You may not do this")),
    "not_found": (404, _l("Not found")),
    "unauthorized": (401, _l("Please sign in")),
    "too_many_attempts": (429, _l("Too many attempts")),
    "busy": (503, _l("The service is busy")),
}


class DomainError(Exception):
    """A use case refused. ``code`` is one of API.md's codes; ``detail`` says why to a person;
    ``errors`` maps a field name to its messages when the fault lies in one input."""

    def __init__(
        self,
        code: str,
        detail: Any = None,
        *,
        errors: Mapping[str, list[Any]] | None = None,
        field: str | None = None,
        status: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.status = status or CODES[code][0]
        self.detail = detail if detail is not None else CODES[code][1]
        self.errors: dict[str, list[Any]] = {k: list(v) for k, v in (errors or {}).items()}
        if field:
            self.errors.setdefault(field, []).append(self.detail)
        self.extra = dict(extra or {})
        super().__init__(f"{code}: {self.detail}")

    @property
    def title(self) -> str:
        return str(CODES[self.code][1])

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://yunquan.example/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": str(self.detail),
            "code": self.code,
        }
        if self.errors:
            body["errors"] = {k: [str(m) for m in v] for k, v in self.errors.items()}
        body.update(self.extra)
        return body


class ValidationError(DomainError):
    """One or more inputs are wrong; every message names its field."""

    def __init__(self, errors: Mapping[str, list[Any]], code: str = "validation_error", detail: Any = None):
        first = next(iter(errors.values()))[0] if errors else None
        super().__init__(code, detail if detail is not None else (first or CODES[code][1]), errors=errors)


class NotFound(DomainError):
    def __init__(self, detail: Any = None) -> None:
        super().__init__("not_found", detail)


class Forbidden(DomainError):
    def __init__(self, detail: Any = None) -> None:
        super().__init__("forbidden", detail)


class InvalidState(DomainError):
    def __init__(self, detail: Any = None) -> None:
        super().__init__("invalid_state", detail)


class ConflictingInput(DomainError):
    """Input that is well formed but contradicts what is recorded (a code already on the blacklist, a
    budget below what applications hold, a settlement date claims wait on): the field's fault, so a
    ``validation_error`` naming it, answered as a conflict (409)."""

    def __init__(self, detail: Any, *, field: str) -> None:
        super().__init__("validation_error", detail, field=field)
        self.status = 409
