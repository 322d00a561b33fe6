"""Policy versions: every change of a programme's rules is a new ``PolicyVersion`` holding the whole
rule set (``shop.presets.Rules``), so that what was decided under an older one can be read under it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.accounts import User
from shop.preset_list import GUIZHOU as GUIZHOU_RULES
from shop.presets import Rules, apply_overrides, rules_from_dict
from wallet.models import PolicyVersion, Programme


def add_version(
    session: Session,
    programme: Programme,
    preset_rules: Rules,
    overrides: dict[str, Any],
    actor: User | None,
    *,
    reason: str | None,
) -> PolicyVersion:
    """A new version: the preset with ``overrides`` (raises ``shop.presets.PolicyError``); the
    programme then runs under it."""
    rules = apply_overrides(preset_rules, overrides)
    number = (
        session.scalar(select(func.max(PolicyVersion.number)).where(PolicyVersion.programme_id == programme.id)) or 0
    ) + 1
    version = PolicyVersion(
        programme_id=programme.id,
        number=number,
        preset=preset_rules.preset,
        overrides=dict(overrides),
        rules=rules.as_dict(),
        reason=reason,
        created_by_id=actor.id if actor else None,
    )
    session.add(version)
    programme.policy_version = number
    session.flush()
    return version


def guizhou_overrides(programme: Programme) -> dict[str, int]:
    """What the Guizhou programme form sets, as overrides of the preset: the cap and the three ratios."""
    return {
        "schemes.default.cap_fen": programme.enterprise_cap_fen,
        **{f"schemes.default.ratios.{layer}": value for layer, value in programme.ratios.items()},
    }


def add_guizhou_version(session: Session, programme: Programme, actor: User | None) -> PolicyVersion:
    """A version of the Guizhou preset with the programme form's figures (its cap and ratios)."""
    return add_version(session, programme, GUIZHOU_RULES, guizhou_overrides(programme), actor, reason=None)


def current(session: Session, programme: Programme) -> PolicyVersion:
    return version(session, programme.id, programme.policy_version)


def version(session: Session, programme_id: int, number: int) -> PolicyVersion:
    return session.scalars(
        select(PolicyVersion).where(PolicyVersion.programme_id == programme_id, PolicyVersion.number == number)
    ).one()


def rules_of(session: Session, programme: Programme, number: int | None = None) -> Rules:
    """The rules of ``programme`` under version ``number`` (its current one by default)."""
    return rules_from_dict(version(session, programme.id, number or programme.policy_version).rules)


def history(session: Session, programme_id: int) -> list[PolicyVersion]:
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.programme_id == programme_id)
            .order_by(PolicyVersion.number.desc())
        )
    )
