"""Contract vouchers (Linyi, Liuzhou; ``../shared/POLICY.md`` "Contract first"): the enterprise places an
order with an approved provider at the full price (an ordinary card order, no vouchers), then applies
for a voucher **for that order**; the amount is what the programme's policy gives for it
(``orders.rules.contract_voucher_amount``). This module holds what the voucher is worth (``quote``), the
application and reading; the reviews and the ranked round are ``orders.voucher_reviews``, the issuance,
the card and the lapse ``orders.voucher_issue``. Each use case commits.

Money (``wallet.voucher_ledger``): a first-come application reserves its amount from the budget (block)
at once (budget → reserved), as a quota application does; a ranked one (择优) reserves when its round
grants it, so that the budget goes to the best-ranked, not to the first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from orders.models import Order
from orders.rules import contract_voucher_amount
from orders.states import VOUCHER_GRANTED, VOUCHER_HELD, OrderStatus, VoucherStatus
from orders.voucher_models import ContractVoucher
from orgs.affiliations import affiliated
from orgs.models import Organisation
from orgs.sanctions import ensure_not_sanctioned
from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound, ValidationError
from shop.i18n import _l
from shop.jurisdictions import covers, under
from shop.money import format_fen
from shop.pagination import Page, paginate
from shop.presets import Rules, Scheme
from shop.states import Role
from wallet import grants, ledger, versions, voucher_ledger
from wallet.models import Programme
from wallet.rules import scheme_cap
from wallet.states import AccountKind

DEFAULT_REVIEW_WORKING_DAYS = 5
# an order a voucher can be applied for: placed or confirmed (not cancelled, refunded or being refunded)
APPLICABLE_ORDERS = (OrderStatus.PLACED, OrderStatus.CONFIRMED)


@dataclass(frozen=True)
class Quote:
    """What a voucher for an order would be under a programme: shown before the enterprise applies."""

    programme: Programme
    scheme: Scheme
    rules: Rules
    ratio: int
    cap_fen: int
    yearly_left_fen: int | None
    amount_fen: int
    book: ledger.Book


def book_of(session: Session, voucher: ContractVoucher) -> tuple[ledger.Book, Rules]:
    programme = session.get(Programme, voucher.programme_id)
    rules = versions.rules_of(session, programme, voucher.policy_version)
    org = session.get(Organisation, voucher.organisation_id)
    return grants.book_for(programme, voucher.scheme, org.region_code, rules), rules


def contract_programmes(session: Session, org: Organisation, on_day: dt.date) -> list[Programme]:
    """The running programmes with a contract scheme whose jurisdiction covers the enterprise's region."""
    found = []
    for programme in session.scalars(
        select(Programme)
        .where(Programme.starts_on <= on_day, Programme.ends_on >= on_day)
        .order_by(Programme.starts_on, Programme.id)
    ):
        if not covers(programme.jurisdiction, org.region_code):
            continue
        rules = versions.rules_of(session, programme)
        if any(s.flow == "contract" for s in rules.schemes):
            found.append(programme)
    return found


def _related(programme: Programme) -> Any:
    """An enterprise's history counts across the programmes of the same preset in the same jurisdiction."""
    return select(Programme.id).where(
        Programme.preset == programme.preset, Programme.jurisdiction == programme.jurisdiction
    )


def yearly_counted_fen(session: Session, org_id: int, programme: Programme, year: int) -> int:
    """What counts toward the enterprise's yearly total (Liuzhou 第十四条): every voucher of the year
    still in review or granted, issued, redeemed — or issued and lapsed later: what was granted counts
    whether it was used or not."""
    counted = or_(
        ContractVoucher.status.in_((*VOUCHER_HELD, *VOUCHER_GRANTED)),
        (ContractVoucher.status == VoucherStatus.LAPSED) & ContractVoucher.issued_on.is_not(None),
    )
    return int(
        session.scalar(
            select(func.coalesce(func.sum(ContractVoucher.amount_fen), 0)).where(
                ContractVoucher.organisation_id == org_id,
                ContractVoucher.year == year,
                ContractVoucher.programme_id.in_(_related(programme)),
                counted,
            )
        )
        or 0
    )


def _ratio(scheme: Scheme, order: Order, year: int) -> int:
    """The percentage the voucher pays: by the calendar year (Liuzhou), else the scheme's (one ratio for
    every layer: Linyi 30%)."""
    if scheme.ratio_by_calendar_year:
        ratio = scheme.ratio_by_calendar_year.get(str(year))
        if ratio is None:
            raise DomainError("not_eligible", _l("This programme gives no voucher for %(year)d.", year=year))
        return ratio
    ratios = {scheme.ratios.get(line.category, scheme.ratios.get(line.layer, 0)) for line in order.lines}
    return min(ratios) if ratios else 0


def _refusals(session: Session, org: Organisation, programme: Programme, scheme: Scheme) -> list:
    failures = grants.failures_of(session, org, programme)
    if scheme.frequency == "once_ever":
        earlier = session.scalar(
            select(ContractVoucher.id).where(
                ContractVoucher.organisation_id == org.id,
                ContractVoucher.programme_id.in_(_related(programme)),
                ContractVoucher.status.not_in((VoucherStatus.REFUSED, VoucherStatus.WITHDRAWN)),
            )
        )
        if earlier is not None:
            failures.append(_l("%(scheme)s is granted once only, and was applied for before.", scheme=scheme.title))
    return failures


def _order_of(session: Session, actor: User, order_id: int, *, lock: bool = False) -> Order:
    stmt = select(Order).where(Order.id == order_id).options(joinedload(Order.lines))
    if lock:
        stmt = stmt.with_for_update(of=Order)
    order = session.scalars(stmt.execution_options(populate_existing=True)).unique().one_or_none()
    if order is None or not actor.belongs_to(order.enterprise_id):
        raise NotFound()
    if actor.role != Role.ENTERPRISE:
        raise Forbidden()
    return order


def quote(session: Session, actor: User, order_id: int, programme_id: int | None, facts: dict[str, Any]) -> Quote:
    """What a voucher for the enterprise's order would be (refusing what makes it impossible)."""
    order = _order_of(session, actor, order_id)
    org = session.get(Organisation, order.enterprise_id)
    today = clock.today()
    if programme_id is not None:
        programme = session.get(Programme, programme_id)
        if programme is None or programme not in contract_programmes(session, org, today):
            raise ValidationError({"programme_id": [_l("No running contract programme of this number covers you.")]})
    else:
        found = contract_programmes(session, org, today)
        if not found:
            raise DomainError("not_eligible", _l("No running contract-voucher programme covers your region."))
        programme = found[0]
    rules = versions.rules_of(session, programme)
    scheme = next(s for s in rules.schemes if s.flow == "contract")
    if voucher_of_order(session, order.id) is not None:
        raise DomainError("invalid_state", _l("This order already has a voucher."))
    if order.status not in APPLICABLE_ORDERS or order.voucher_fen:
        raise DomainError("invalid_state", _l("A voucher is applied for a placed or confirmed order paid in full."))
    failures = _refusals(session, org, programme, scheme)
    if failures:
        raise DomainError("not_eligible", failures[0], errors={"programme": failures})
    if affiliated(session, order.enterprise_id, order.provider_id):  # Liuzhou 第十七条, Guizhou 第十三条(四)
        raise DomainError(
            "not_eligible",
            _l("The provider is affiliated with the enterprise (隶属、共建或产权纽带): its contract gets no voucher."),
        )
    cap, errors = scheme_cap(scheme, facts)
    if errors:
        raise ValidationError(errors)
    year = today.year
    ratio = _ratio(scheme, order, year)
    yearly_left = None
    if rules.yearly_total_fen is not None:
        yearly_left = max(rules.yearly_total_fen - yearly_counted_fen(session, org.id, programme, year), 0)
    amount = contract_voucher_amount(order.total_fen, ratio, cap, yearly_left)
    if yearly_left == 0:
        raise DomainError(
            "not_eligible",
            _l(
                "The enterprise has reached this year's total of %(amount)s.", amount=format_fen(rules.yearly_total_fen)
            ),
        )
    if amount <= 0:
        raise DomainError("not_eligible", _l("This order gives no voucher under the programme's policy."))
    book = grants.book_for(programme, scheme.key, org.region_code, rules)
    return Quote(programme, scheme, rules, ratio, cap, yearly_left, amount, book)


@use_case
def apply_for_voucher(
    session: Session, actor: User, order_id: int, programme_id: int | None, facts: dict[str, Any]
) -> ContractVoucher:
    """The enterprise applies for a voucher for its order with the facts the scheme asks (Linyi: a
    两化融合 certificate raises the cap). First come: the amount is reserved from the budget now, and
    refused when the budget has less (先到先补、补完为止); ranked: reserved when the round grants it."""
    # the enterprise's row is locked: its vouchers are decided one after the other (the yearly total)
    org = session.scalars(
        select(Organisation).where(Organisation.id == actor.organisation_id).with_for_update()
    ).one_or_none()
    if org is None:
        raise Forbidden()
    order = _order_of(session, actor, order_id, lock=True)
    ensure_not_sanctioned(session, order.enterprise_id, order.provider_id)
    q = quote(session, actor, order_id, programme_id, facts)
    first_come = q.rules.selection != "ranked"
    if first_come and ledger.lock_account(session, AccountKind.BUDGET, q.book).balance_fen < q.amount_fen:
        raise DomainError("budget_exhausted", _l("The budget is used up: no more vouchers are granted."))
    today = clock.today()
    voucher = ContractVoucher(
        order_id=order.id,
        programme_id=q.programme.id,
        scheme=q.scheme.key,
        policy_version=q.programme.policy_version,
        year=today.year,
        organisation_id=org.id,
        provider_id=order.provider_id,
        order_total_fen=order.total_fen,
        ratio=q.ratio,
        amount_fen=q.amount_fen,
        reserved_fen=q.amount_fen if first_come else 0,
        facts=dict(facts) or None,
        status=VoucherStatus.APPLIED,
        stage=0,
        due_on=due_on(session, q.rules, today),
        reviews=[],
        applied_at=clock.now(),
        applied_by_id=actor.id,
    )
    session.add(voucher)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DomainError("invalid_state", _l("This order already has a voucher.")) from None
    if first_come:
        voucher_ledger.reserve(session, q.book, org.id, q.amount_fen, voucher.id, actor.id)
    record(session, actor, "contract_voucher", voucher.id, "apply_voucher", None, voucher.audit_state())
    session.commit()
    return voucher


def due_on(session: Session, rules: Rules, day: dt.date) -> dt.date:
    """A review stage's deadline: the policy's working days (or five) from ``day``."""
    from shop.calendar import add_working_days

    return add_working_days(session, day, rules.review_working_days or DEFAULT_REVIEW_WORKING_DAYS)


# -- reading -------------------------------------------------------------------------------------------


def _visible(stmt: Any, actor: User) -> Any:
    if actor.role == Role.ENTERPRISE:
        return stmt.where(ContractVoucher.organisation_id == actor.organisation_id)
    if actor.role == Role.PROVIDER:
        return stmt.where(ContractVoucher.provider_id == actor.organisation_id)
    if actor.is_staff:
        return stmt.where(under(Organisation.region_code, actor.jurisdiction))
    raise Forbidden()


def list_vouchers(
    session: Session, actor: User, *, status: VoucherStatus | None = None, page: int = 1, per_page: int = 20
) -> Page[ContractVoucher]:
    """The enterprise's own vouchers, the provider's (its orders'), or those under the staff's jurisdiction."""
    stmt = select(ContractVoucher).join(Organisation, Organisation.id == ContractVoucher.organisation_id)
    stmt = _visible(stmt, actor)
    if status is not None:
        stmt = stmt.where(ContractVoucher.status == status)
    stmt = stmt.options(joinedload(ContractVoucher.organisation), joinedload(ContractVoucher.provider))
    return paginate(
        session, stmt.order_by(ContractVoucher.applied_at.desc(), ContractVoucher.id.desc()), page, per_page
    )


def get_voucher(session: Session, actor: User, voucher_id: int) -> ContractVoucher:
    stmt = select(ContractVoucher).join(Organisation, Organisation.id == ContractVoucher.organisation_id)
    voucher = session.scalars(_visible(stmt.where(ContractVoucher.id == voucher_id), actor)).one_or_none()
    if voucher is None:
        raise NotFound()
    return voucher


def voucher_of_order(session: Session, order_id: int) -> ContractVoucher | None:
    return session.scalars(select(ContractVoucher).where(ContractVoucher.order_id == order_id)).one_or_none()
