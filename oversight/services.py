"""What oversight does when the other areas act, and its daily backfill.

Notice entries are published by listening to the audit trail (``shop.hooks.on_audit``): the entry
that records a quota grant (``quota_application``/``grant``) or a disbursement
(``claim``/``disburse_claim``) publishes the grant or the payment in the same transaction, whichever
way it was made (the operator's queue, the API, the demo data); a change of the working-day calendar
lengthens the notice periods it touches. ``publish_missing_notices`` (daily, and ``flask --app shop
publish-notices``) publishes any that were made before this area existed. The use cases of the notice
and its objections are in ``oversight.notices``, those of complaints in ``oversight.complaints``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from claims.models import Claim
from claims.states import ClaimStatus
from oversight.models import NoticeEntry
from oversight.notices import (
    lengthen_notices_for_calendar_change,
    publish_disbursement,
    publish_grant,
    withdraw_grant,
)
from oversight.states import NoticeKind
from shop.db import use_case
from wallet.models import QuotaApplication
from wallet.states import ApplicationStatus


def on_audit_entry(session: Session, entry: Any) -> None:
    """The listener registered with ``shop.hooks.on_audit``."""
    key = (entry.subject_type, entry.action)
    if key in (("quota_application", "grant"), ("quota_application", "publish")):
        publish_grant(session, entry.subject_id)
    elif key == ("quota_application", "uphold"):
        withdraw_grant(session, entry.subject_id, (entry.after or {}).get("reason"))
    elif key == ("claim", "disburse_claim"):
        publish_disbursement(session, entry.subject_id)
    elif entry.subject_type == "holiday" and entry.action in ("set_holiday", "delete_holiday"):
        # the day as the entry states it (the subject id only identifies the calendar row)
        day = dt.date.fromisoformat((entry.after or entry.before)["day"])
        lengthen_notices_for_calendar_change(session, day, removed=entry.action == "delete_holiday")


@use_case
def publish_missing_notices(session: Session, _today: dt.date | None = None) -> int:
    """Publish the grants and disbursements that have no notice entry yet (made before oversight
    existed, or by a process that did not load it). Idempotent; commits."""
    grants = session.scalars(
        select(QuotaApplication.id)
        .where(
            QuotaApplication.status == ApplicationStatus.GRANTED,
            QuotaApplication.granted_fen > 0,
            ~exists().where(NoticeEntry.kind == NoticeKind.QUOTA_GRANT, NoticeEntry.subject_id == QuotaApplication.id),
        )
        .order_by(QuotaApplication.id)
    ).all()
    paid = session.scalars(
        select(Claim.id)
        .where(
            Claim.status == ClaimStatus.DISBURSED,
            ~exists().where(NoticeEntry.kind == NoticeKind.DISBURSEMENT, NoticeEntry.subject_id == Claim.id),
        )
        .order_by(Claim.id)
    ).all()
    published = sum(publish_grant(session, i) is not None for i in grants)
    published += sum(publish_disbursement(session, i) is not None for i in paid)
    session.commit()
    return published
