"""What the organisations' use cases are asked to do, read once from a form or a JSON body, and the
filter of the staff's list of organisations, read from a query string.

Each command is a frozen dataclass whose ``from_input(data)`` checks every field and raises one
ValidationError with every fault (the pattern of ``shop.inputs.Decision``, which the certification
review takes); pages call ``X.from_input(request.form)``, the API ``X.from_input(json_body())``, so
both check a field the same way, and the use cases receive typed values, never a raw mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from orgs.rules import check_established_on, check_uscc, lookup_region
from orgs.states import OrgKind, OrgStatus
from shop import clock
from shop.auth import check_email, check_password, normalise_email
from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import Decision, Inputs

# -- registration -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    kind: OrgKind
    uscc: str
    name: str
    region_code: str
    established_on: dt.date
    legal_representative: str
    contact_name: str
    contact_phone: str | None
    email: str
    password: str

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> Registration:
        """Parse and check every field at once, so that a person sees all faults together."""
        inputs = Inputs(data)
        kind = inputs.choice("kind", [k.value for k in OrgKind])
        raw_uscc = inputs.text("uscc", max_length=40)
        name = inputs.text("name", max_length=200, min_length=2)
        region_code = inputs.text("region_code", max_length=6)
        established_on = inputs.date("established_on")
        legal_representative = inputs.text("legal_representative", max_length=100)
        contact_name = inputs.text("contact_name", max_length=100)
        contact_phone = inputs.text("contact_phone", required=False, max_length=30)
        email = normalise_email(inputs.text("email", max_length=254) or "")
        password = inputs.text("password", max_length=200) or ""
        uscc = None
        if raw_uscc:
            uscc, message = check_uscc(raw_uscc)
            if message:
                inputs.error("uscc", message)
        if region_code and lookup_region(region_code) is None:
            inputs.error("region_code", _l("Enter a current six-digit administrative division code, e.g. 520102."))
        if established_on and (message := check_established_on(established_on, clock.today())):
            inputs.error("established_on", message)
        if email and (message := check_email(email)):
            inputs.error("email", message)
        if password and (message := check_password(password)):
            inputs.error("password", message)
        if inputs.errors:
            only_uscc = set(inputs.errors) == {"uscc"} and raw_uscc
            raise ValidationError(inputs.errors, code="invalid_uscc" if only_uscc else "validation_error")
        return cls(
            OrgKind(kind),
            uscc,
            name,
            region_code,
            established_on,
            legal_representative,
            contact_name,
            contact_phone,
            email,
            password,
        )


# -- the operator's records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificationDecision:
    """The operator's certification decision (``shop.inputs.Decision``) and, for an organisation whose
    region differs from the division code in its credit code, why (``region_note``)."""

    decision: Decision
    region_note: str | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        errors: dict[str, list] = {}
        decision = None
        try:
            decision = Decision.from_input(data)
        except ValidationError as error:
            errors.update(error.errors)
        inputs = Inputs(data)
        note = inputs.reason("region_note", required=False)
        errors.update(inputs.errors)
        if errors:
            raise ValidationError(errors)
        return cls(decision, note)


@dataclass(frozen=True)
class SuspensionInput:
    """A suspension: its reason and, if it has one, the day it ends by itself (after today)."""

    reason: str
    until: dt.date | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        reason = inputs.reason(required=True)
        until = inputs.date("until", required=False)
        if until is not None and until <= clock.today():
            inputs.error("until", _l("The end date must be after today."))
        inputs.check()
        return cls(reason, until)


@dataclass(frozen=True)
class BlacklistInput:
    """第十二条: a unified social credit code for the blacklist (checked and normalised), and why."""

    uscc: str
    reason: str
    # a term (optional): the ban ends after this many years, or on this day; neither: until removed
    years: int | None = None
    ends_on: dt.date | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        raw = inputs.text("uscc", max_length=40)
        reason = inputs.reason(required=True)
        years = inputs.integer("years", required=False, minimum=1, maximum=50)
        ends_on = inputs.date("ends_on", required=False)
        if years is not None and ends_on is not None:
            inputs.error("ends_on", _l("Give the term in years or as an end date, not both."))
        code = None
        if raw:
            code, message = check_uscc(raw)
            if message:
                inputs.error("uscc", message)
        inputs.check()
        return cls(code, reason, years, ends_on)


@dataclass(frozen=True)
class AffiliationInput:
    """隶属、共建、产权纽带: the other organisation of an affiliation and a note saying how they are
    tied. ``field`` names where the other organisation was given (``organisation_id`` in the API,
    ``organisation_b`` on the page), so that the use case's faults about it go beside that field."""

    organisation_id: int
    note: str
    field: str = "organisation_id"

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None, *, field: str = "organisation_id") -> Self:
        inputs = Inputs(data)
        other_id = inputs.integer(field, minimum=1)
        note = inputs.reason("note", required=True)
        inputs.check()
        return cls(other_id, note, field)


# -- the staff's list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationFilter:
    """By name or credit code, kind and status; a kind or status it does not know is ignored (the
    page's selects and the API alike)."""

    q: str | None = None
    kind: OrgKind | None = None
    status: OrgStatus | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None) -> Self:
        args = args or {}
        kind, status, q = args.get("kind"), args.get("status"), args.get("q")
        return cls(
            q.strip() if q and q.strip() else None,
            OrgKind(kind) if kind in {k.value for k in OrgKind} else None,
            OrgStatus(status) if status in {s.value for s in OrgStatus} else None,
        )
