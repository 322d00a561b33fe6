"""The reviews of a contract voucher and the ranked round (``orders.contract_vouchers``).

Each stage of ``Scheme.review_stages`` is done by the staff of its level (Liuzhou 第十三条: the county's
工业主管部门 first, then the city; Linyi 第十条: the county 经信局): a ``county`` stage by staff whose
jurisdiction is the county (six digits) of the enterprise's region, a ``city`` stage by staff whose
jurisdiction covers the programme's (the city, or above it). A stage has a deadline in working days
(``due_on``). A refusal returns what the voucher reserved to the budget.

After the last stage: first come (Linyi), the voucher is granted at once, its amount already reserved;
ranked (Liuzhou 择优, 额满即止), the last stage scores it (0–100) and it waits for the round, which the
programme's authority closes: ``orders.rules.rank_round`` grants in rank order while the budget covers
each, and refuses the rest ("the budget is used"). A granted voucher is published for the policy's
notice first (Liuzhou: 5 working days), then issued (``orders.voucher_issue``). Each use case commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from orders import contract_vouchers, voucher_issue
from orders.rules import RoundEntry, rank_round
from orders.states import CONTRACT_VOUCHER, VoucherStatus
from orders.voucher_commands import VoucherReview
from orders.voucher_models import ContractVoucher
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from shop import clock
from shop.accounts import User
from shop.audit import change_state
from shop.calendar import add_working_days
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.jurisdictions import covers, under
from shop.presets import Rules
from shop.states import Role
from wallet import ledger, versions, voucher_ledger
from wallet.models import Programme
from wallet.policy_words import STAGE_WORDS
from wallet.states import AccountKind

REVIEWERS = (Role.OPERATOR, Role.AUTHORITY)
BUDGET_USED = _l("The budget is used (额满即止): the round granted better-ranked applications.")
WAITING = (VoucherStatus.APPLIED, VoucherStatus.IN_REVIEW)


def stage_of(rules: Rules, voucher: ContractVoucher) -> str | None:
    scheme = rules.scheme(voucher.scheme)
    stages = scheme.review_stages if scheme and scheme.review_stages else ("county",)
    return stages[voucher.stage] if voucher.stage < len(stages) else None


def is_last_stage(rules: Rules, voucher: ContractVoucher) -> bool:
    scheme = rules.scheme(voucher.scheme)
    stages = scheme.review_stages if scheme and scheme.review_stages else ("county",)
    return voucher.stage == len(stages) - 1


def scores(rules: Rules) -> bool:
    """Whether the last stage scores the application: the programme selects by rank (择优)."""
    return rules.selection == "ranked"


def may_review(actor: User, stage: str | None, region_code: str | None, programme: Programme) -> bool:
    if actor.role not in REVIEWERS or stage is None:
        return False
    if stage == "county":
        j = actor.jurisdiction
        return j is not None and len(j) == 6 and covers(j, region_code)
    return covers(actor.jurisdiction, programme.jurisdiction) and covers(actor.jurisdiction, region_code)


def _locked(session: Session, actor: User, voucher_id: int) -> ContractVoucher:
    voucher = session.scalars(
        select(ContractVoucher)
        .where(ContractVoucher.id == voucher_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if voucher is None or not actor.is_staff:
        raise NotFound()
    org = session.get(Organisation, voucher.organisation_id)
    if not actor.oversees(org.region_code):
        raise NotFound()
    return voucher


@use_case
def review_voucher(session: Session, actor: User, voucher_id: int, review: VoucherReview) -> ContractVoucher:
    """The decision of the voucher's current stage by a reviewer of that stage's level."""
    voucher = _locked(session, actor, voucher_id)
    programme = session.get(Programme, voucher.programme_id)
    rules = versions.rules_of(session, programme, voucher.policy_version)
    org = session.get(Organisation, voucher.organisation_id)
    if voucher.status not in WAITING:
        raise DomainError("invalid_state", _l("This voucher is not waiting for a review."))
    stage = stage_of(rules, voucher)
    if not may_review(actor, stage, org.region_code, programme):
        raise Forbidden(_l("This review stage is done by %(stage)s.", stage=STAGE_WORDS.get(stage or "", stage)))
    last = is_last_stage(rules, voucher)
    entry: dict[str, Any] = {
        "stage": stage,
        "by": actor.id,
        "decision": review.decision.value,
        "reason": review.decision.reason,
        "at": clock.now().isoformat(),
    }
    if not review.decision.approve:
        _refuse(session, voucher, actor, review.decision.reason, entry)
        session.commit()
        return voucher
    if last and scores(rules):
        if review.score is None:
            raise ValidationError({"score": [_l("Give the application a score from 0 to 100.")]})
        entry["score"] = review.score
    reviews = [*(voucher.reviews or []), entry]
    if not last:
        change_state(
            session,
            voucher,
            CONTRACT_VOUCHER,
            "pass_stage",
            actor,
            subject_type="contract_voucher",
            stage=voucher.stage + 1,
            due_on=contract_vouchers.due_on(session, rules, clock.today()),
            reviews=reviews,
        )
    elif scores(rules):
        change_state(
            session,
            voucher,
            CONTRACT_VOUCHER,
            "pass_review",
            actor,
            subject_type="contract_voucher",
            score=review.score,
            due_on=None,
            reviews=reviews,
        )
    else:
        voucher.reviews = reviews
        voucher.due_on = None
        grant(session, voucher, rules, actor)
    session.commit()
    return voucher


def _refuse(session: Session, voucher: ContractVoucher, actor: User | None, reason: Any, entry: Any = None) -> None:
    if voucher.reserved_fen:
        book, _rules = contract_vouchers.book_of(session, voucher)
        actor_id = actor.id if actor else None
        voucher_ledger.release(session, book, voucher.organisation_id, voucher.reserved_fen, voucher.id, actor_id)
    change_state(
        session,
        voucher,
        CONTRACT_VOUCHER,
        "refuse_voucher",
        actor,
        subject_type="contract_voucher",
        reserved_fen=0,
        due_on=None,
        reason=str(reason) if reason is not None else None,
        reviews=[*(voucher.reviews or []), entry] if entry else voucher.reviews,
    )


def grant(session: Session, voucher: ContractVoucher, rules: Rules, actor: User | None) -> None:
    """Granted (its amount reserved): published for the notice where the policy has one, else issued."""
    ensure_not_sanctioned(session, voucher.organisation_id)
    if rules.notice_before_grant_working_days:
        ends = add_working_days(session, clock.today(), rules.notice_before_grant_working_days)
        change_state(
            session,
            voucher,
            CONTRACT_VOUCHER,
            "publish_voucher",
            actor,
            subject_type="contract_voucher",
            notice_ends_on=ends,
        )
        return
    voucher_issue.issue(session, voucher, actor)


# -- the ranked round (择优) --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundLine:
    voucher: ContractVoucher
    rank: int
    granted: bool


def _round(session: Session, actor: User, programme_id: int) -> tuple[Programme, Rules, list[RoundLine]]:
    programme = session.get(Programme, programme_id)
    if programme is None or not actor.is_staff or not actor.oversees(programme.jurisdiction):
        raise NotFound()
    if actor.role != Role.AUTHORITY:
        raise Forbidden()
    rules = versions.rules_of(session, programme)
    if rules.selection != "ranked":
        raise DomainError("invalid_state", _l("This programme grants first come, first served: it has no rounds."))
    waiting = list(
        session.scalars(
            select(ContractVoucher)
            .join(Organisation, Organisation.id == ContractVoucher.organisation_id)
            .where(ContractVoucher.programme_id == programme.id, ContractVoucher.status == VoucherStatus.REVIEWED)
            .where(under(Organisation.region_code, actor.jurisdiction))
            .options(joinedload(ContractVoucher.organisation))
            .order_by(ContractVoucher.id)
        )
    )
    # each budget (the programme's, or a block's) is ranked on its own
    by_budget: dict[str, list[ContractVoucher]] = defaultdict(list)
    books: dict[str, ledger.Book] = {}
    for voucher in waiting:
        book, _r = contract_vouchers.book_of(session, voucher)
        by_budget[book.budget].append(voucher)
        books[book.budget] = book
    lines: list[RoundLine] = []
    for budget, vouchers in by_budget.items():
        left = ledger.balance(session, AccountKind.BUDGET, books[budget]) + sum(v.reserved_fen for v in vouchers)
        entries = [RoundEntry(v.id, v.score or 0, v.applied_at, v.amount_fen) for v in vouchers]
        granted, refused = rank_round(entries, left)
        by_id = {v.id: v for v in vouchers}
        order = [*granted, *refused]
        lines += [RoundLine(by_id[i], order.index(i) + 1, i in granted) for i in order]
    return programme, rules, lines


def round_preview(session: Session, actor: User, programme_id: int) -> tuple[Programme, list[RoundLine]]:
    """The ranked list of the programme's round and what closing it would grant (nothing changes)."""
    programme, _rules, lines = _round(session, actor, programme_id)
    return programme, lines


@use_case
def close_round(session: Session, actor: User, programme_id: int) -> list[RoundLine]:
    """The programme's authority closes the round: granted in rank order while the budget lasts, the
    rest refused with the reason that the budget is used."""
    session.scalars(select(Programme).where(Programme.id == programme_id).with_for_update()).one_or_none()
    programme, rules, lines = _round(session, actor, programme_id)
    for line in lines:
        voucher = line.voucher
        if line.granted:
            book, _r = contract_vouchers.book_of(session, voucher)
            need = voucher.amount_fen - voucher.reserved_fen
            if need:
                voucher_ledger.reserve(session, book, voucher.organisation_id, need, voucher.id, actor.id)
                voucher.reserved_fen = voucher.amount_fen
            grant(session, voucher, rules, actor)
        else:
            _refuse(session, voucher, actor, BUDGET_USED)
    session.commit()
    return lines


# -- the reviewer's queue -------------------------------------------------------------------------------


def review_queue(session: Session, actor: User) -> list[tuple[ContractVoucher, str, bool]]:
    """The vouchers waiting for a stage this reviewer does, earliest deadline first: (voucher, stage,
    whether the stage scores)."""
    if actor.role not in REVIEWERS:
        raise Forbidden()
    rows = session.scalars(
        select(ContractVoucher)
        .join(Organisation, Organisation.id == ContractVoucher.organisation_id)
        .where(ContractVoucher.status.in_(WAITING), under(Organisation.region_code, actor.jurisdiction))
        .options(joinedload(ContractVoucher.organisation), joinedload(ContractVoucher.provider))
        .order_by(ContractVoucher.due_on, ContractVoucher.id)
    )
    queue, policies = [], {}  # the rules read once per programme and version, not once per voucher
    for voucher in rows:
        programme = session.get(Programme, voucher.programme_id)
        key = (voucher.programme_id, voucher.policy_version)
        if key not in policies:
            policies[key] = versions.rules_of(session, programme, voucher.policy_version)
        rules = policies[key]
        stage = stage_of(rules, voucher)
        if may_review(actor, stage, voucher.organisation.region_code, programme):
            queue.append((voucher, stage, is_last_stage(rules, voucher) and scores(rules)))
    return queue
