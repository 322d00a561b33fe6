"""复核 (Baiyun 第十五条(七)): anyone signed in may ask in writing, during a grant's notice or within the
policy's working days after it, that the grant be reconsidered. The request holds the grant (it does
not take effect) until it is decided: the operator accepts it or not within the policy's days; an
accepted request is decided within its days — upheld, the grant is cancelled and its money goes back to
the budget; dismissed, the grant takes effect as its notice allows. Each use case commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop import clock
from shop.accounts import User
from shop.audit import change_state, record
from shop.calendar import add_working_days
from shop.db import use_case
from shop.errors import DomainError, Forbidden, NotFound
from shop.i18n import _l
from shop.states import Role
from wallet import grants, ledger
from wallet.models import QuotaApplication, Reconsideration
from wallet.states import QUOTA_APPLICATION, ApplicationStatus

OPEN = ("requested", "accepted")


def _application(session: Session, application_id: int) -> QuotaApplication:
    application = session.scalars(
        select(QuotaApplication).where(QuotaApplication.id == application_id).with_for_update()
    ).one_or_none()
    if application is None:
        raise NotFound()
    return application


@use_case
def request(session: Session, actor: User, application_id: int, reason: str) -> Reconsideration:
    application = _application(session, application_id)
    _book, rules = grants.application_book(session, application)
    if rules.reconsideration is None:
        raise DomainError("invalid_state", _l("This programme's policy has no 复核."))
    if application.status != ApplicationStatus.IN_NOTICE:
        raise DomainError("invalid_state", _l("Only a grant in its notice, not yet in effect, can be reconsidered."))
    last = add_working_days(session, application.notice_ends_on, rules.reconsideration.request_working_days)
    if clock.today() > last:
        raise DomainError("invalid_state", _l("The time to ask for a 复核 ended on %(day)s.", day=last.isoformat()))
    item = Reconsideration(
        application_id=application.id,
        reason=reason,
        requested_by_id=actor.id,
        requested_at=clock.now(),
        accept_by=add_working_days(session, clock.today(), rules.reconsideration.accept_working_days),
    )
    session.add(item)
    session.flush()
    change_state(session, application, QUOTA_APPLICATION, "hold", actor, subject_type="quota_application")
    record(session, actor, "reconsideration", item.id, "request_reconsideration", None, item.audit_state())
    session.commit()
    return item


def _open_item(session: Session, actor: User, item_id: int, status: str) -> Reconsideration:
    if actor.role != Role.OPERATOR:
        raise Forbidden()
    item = session.scalars(select(Reconsideration).where(Reconsideration.id == item_id).with_for_update()).one_or_none()
    if item is None or not actor.oversees(item.application.organisation.region_code):
        raise NotFound()
    if item.status != status:
        raise DomainError("invalid_state", _l("This 复核 request is not waiting for that step."))
    return item


def _close(session: Session, actor: User, item: Reconsideration, status: str, reason: str | None) -> None:
    before = item.audit_state()
    item.status, item.decision_reason = status, reason
    item.decided_at, item.decided_by_id = clock.now(), actor.id
    application = _application(session, item.application_id)
    if status == "upheld":
        book, _rules = grants.application_book(session, application)
        ledger.release_reservation(
            session, book, application.organisation_id, application.reserved_fen, application.id, actor.id
        )
        change_state(
            session,
            application,
            QUOTA_APPLICATION,
            "uphold",
            actor,
            subject_type="quota_application",
            granted_fen=0,
            reason=reason,
        )
    else:
        change_state(session, application, QUOTA_APPLICATION, "dismiss", actor, subject_type="quota_application")
    record(session, actor, "reconsideration", item.id, f"{status}_reconsideration", before, item.audit_state())


@use_case
def answer(session: Session, actor: User, item_id: int, accept: bool, reason: str | None) -> Reconsideration:
    """Accepted: to be decided within the policy's days; not accepted (with a reason): the grant is
    no longer held."""
    item = _open_item(session, actor, item_id, "requested")
    if accept:
        application = session.get(QuotaApplication, item.application_id)
        _book, rules = grants.application_book(session, application)
        before = item.audit_state()
        item.status = "accepted"
        item.decide_by = add_working_days(session, clock.today(), rules.reconsideration.decide_working_days)
        record(session, actor, "reconsideration", item.id, "accept_reconsideration", before, item.audit_state())
    else:
        _close(session, actor, item, "refused", reason)
    session.commit()
    return item


@use_case
def decide(session: Session, actor: User, item_id: int, uphold: bool, reason: str) -> Reconsideration:
    item = _open_item(session, actor, item_id, "accepted")
    _close(session, actor, item, "upheld" if uphold else "dismissed", reason)
    session.commit()
    return item


def of_application(session: Session, application_id: int) -> list[Reconsideration]:
    return list(
        session.scalars(
            select(Reconsideration).where(Reconsideration.application_id == application_id).order_by(Reconsideration.id)
        )
    )
