"""Programmes from a preset: the authority of a jurisdiction creates one (its policy version 1 is the
preset with its overrides), changes its policy (a new version each time) and anyone can read the
presets. Each use case commits. The province-wide form of a year is ``wallet.programmes``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import Forbidden, ValidationError
from shop.i18n import _l
from shop.jurisdictions import covers
from shop.preset_list import PRESETS
from shop.presets import PolicyError, Rules, apply_overrides
from shop.states import Role
from wallet import grants, ledger, programmes, versions
from wallet.commands import ProgrammeSpec
from wallet.models import PolicyVersion, Programme, SettlementDate
from wallet.rules import LAYERS


def presets_json() -> list[dict[str, Any]]:
    """``GET /policy-presets``: every preset, whether it runs yet, its schemes and their flows."""
    return [
        {
            "key": p.key,
            "title": str(p.title),
            "seed": p.seed,
            "version": 1,
            "available": p.available,
            "schemes": [{"key": s.key, "title": s.title, "flow": s.flow} for s in p.rules.schemes],
        }
        for p in PRESETS.values()
    ]


def _policy_errors(error: PolicyError) -> ValidationError:
    return ValidationError({f"overrides.{key}": messages for key, messages in error.errors.items()})


@use_case
def create_from_preset(session: Session, actor: User, spec: ProgrammeSpec) -> Programme:
    """A programme of ``spec.preset`` in the authority's jurisdiction: its budget moves from the public
    purse into the programme's budget, and into each block (切块) the spec sets aside."""
    if actor.role != Role.AUTHORITY or not actor.oversees(spec.jurisdiction):
        raise Forbidden()
    preset = PRESETS[spec.preset]
    if not preset.available:
        raise ValidationError({"preset": [_l("This preset's flow does not run yet.")]})
    overrides = dict(spec.overrides)
    if spec.allocations:
        overrides.update({f"blocks.{where}": amount for where, amount in spec.allocations.items()})
    try:
        rules = apply_overrides(preset.rules, overrides)
    except PolicyError as error:
        raise _policy_errors(error) from None
    default = rules.schemes[0]
    programme = Programme(
        code=spec.code,
        title=spec.title or rules.title,
        preset=spec.preset,
        jurisdiction=spec.jurisdiction,
        starts_on=spec.starts_on,
        ends_on=spec.ends_on,
        book=spec.code,
        year=spec.starts_on.year,
        budget_fen=spec.budget_fen,
        enterprise_cap_fen=max(rules.yearly_total_fen or 0, default.cap_fen, 1),
        **{f"ratio_{layer}": int(default.ratios.get(layer, 0)) for layer in LAYERS},
        applications_open_on=spec.starts_on,
        applications_close_on=spec.ends_on,
        created_by_id=actor.id,
    )
    programme.settlement_dates = [SettlementDate(day=d) for d in spec.settlement_dates or default_dates(rules, spec)]
    session.add(programme)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ValidationError({"code": [_l("There is already a programme %(code)s.", code=spec.code)]}) from None
    versions.add_version(session, programme, preset.rules, overrides, actor, reason=None)
    book = ledger.Book.of_programme(programme)
    if spec.budget_fen:
        ledger.fund_programme(session, book, spec.budget_fen, actor.id, programme.id)
    for where, amount in sorted(rules.blocks.items()):
        ledger.allocate_block(session, book, f"{programme.book}@{where}", amount, programme.id, actor.id)
    record(session, actor, "programme", programme.id, "create_programme", None, audit_state(programme))
    session.commit()
    return programme


@use_case
def change_policy(session: Session, actor: User, code: str, overrides: dict[str, Any], reason: str) -> PolicyVersion:
    """A new version of the programme's policy: the preset with these overrides (the whole set, as the
    form shows it). What was decided before keeps its version; blocks are changed by the budget."""
    programme = grants.get_by_code(session, code, for_update=True)
    if actor.role != Role.AUTHORITY or not actor.oversees(programme.jurisdiction):
        raise Forbidden()
    current = versions.current(session, programme)
    kept_blocks = {k: v for k, v in current.overrides.items() if k.startswith("blocks.")}
    new = {k: v for k, v in overrides.items() if not k.startswith("blocks.")} | kept_blocks
    try:
        version = versions.add_version(session, programme, PRESETS[programme.preset].rules, new, actor, reason=reason)
    except PolicyError as error:
        raise _policy_errors(error) from None
    record(
        session,
        actor,
        "programme",
        programme.id,
        "change_policy",
        {"policy_version": current.number, "overrides": current.overrides},
        {"policy_version": version.number, "overrides": version.overrides, "reason": reason},
    )
    session.commit()
    return version


@use_case
def update_programme(
    session: Session, actor: User, code: str, budget_fen: int | None, settlement_dates: list[dt.date] | None
) -> Programme:
    """The authority changes a programme's budget or settlement dates (its rules: ``change_policy``)."""
    programme = grants.get_by_code(session, code, for_update=True)
    if actor.role != Role.AUTHORITY or not actor.oversees(programme.jurisdiction):
        raise Forbidden()
    if settlement_dates and any(not programme.starts_on <= d <= programme.ends_on for d in settlement_dates):
        raise ValidationError({"settlement_dates": [_l("Settlement dates must fall in the programme's period.")]})
    before = audit_state(programme)
    if budget_fen is not None:
        book = ledger.Book.of_programme(programme)
        programmes.change_budget(session, actor, programme, book, budget_fen)
    if settlement_dates is not None:
        programmes.change_settlement_dates(session, programme, settlement_dates)
    session.flush()
    session.refresh(programme, ["settlement_dates"])
    record(session, actor, "programme", programme.id, "update_programme", before, audit_state(programme))
    session.commit()
    return programme


def default_dates(rules: Rules, spec: ProgrammeSpec) -> list[dt.date]:
    """The preset's settlement days (month-day) in each year of the programme's period."""
    days = []
    for year in range(spec.starts_on.year, spec.ends_on.year + 1):
        for md in rules.settlement_days:
            day = dt.date.fromisoformat(f"{year}-{md}")
            if spec.starts_on <= day <= spec.ends_on:
                days.append(day)
    return days


def audit_state(programme: Programme) -> dict[str, Any]:
    return {
        "code": programme.code,
        "preset": programme.preset,
        "jurisdiction": programme.jurisdiction,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "budget_fen": programme.budget_fen,
        "policy_version": programme.policy_version,
        "settlement_dates": [d.day for d in programme.settlement_dates],
    }


def list_programmes(session: Session, *, year: int | None = None, jurisdiction: str | None = None) -> list[Programme]:
    """Programmes, newest first; with ``jurisdiction``, those that concern it: the programmes whose
    jurisdiction covers it (the province's, for a city) and those that lie under it (a city's
    districts' programmes, for the city)."""
    stmt = select(Programme).order_by(Programme.starts_on.desc(), Programme.id.desc())
    if year is not None:
        stmt = stmt.where(Programme.year == year)
    items = list(session.scalars(stmt))
    if jurisdiction:
        items = [p for p in items if covers(p.jurisdiction, jurisdiction) or covers(jurisdiction, p.jurisdiction)]
    return items
