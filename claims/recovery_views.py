"""Pages of recoveries (追回): the staff's list and a recovery's page with its repayment form, the form
on a paid claim's page that opens one, and what the claim page shows of them (``claim_context``: the
provider reads what it owes and why). Thin: parse, call ``claims.recoveries``, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from claims import recoveries
from claims.commands import RecoveryInput, RepaymentInput
from claims.models import Claim
from claims.states import RECOVERY, ClaimStatus, RecoveryStatus
from shop import clock
from shop.accounts import User
from shop.audit import history
from shop.errors import DomainError
from shop.i18n import _
from shop.pagination import page_args
from shop.web import actor, db_session, roles_required

bp = Blueprint("recoveries", __name__, template_folder="templates")
STAFF = recoveries.STAFF  # the finance bureau reads recoveries and records repayments
OPENERS = recoveries.OPENERS  # an operator or an authority opens one


def claim_context(session: Any, user: User, claim: Claim) -> dict[str, Any]:
    """What the claim page shows of recoveries: those against it, what its payment set off, the form."""
    return {
        "recoveries": recoveries.recoveries_of_claim(session, user, claim),
        "set_offs": recoveries.set_offs_of_claim(session, claim.id),
        "may_recover": recoveries.may_recover(session, user, claim),
        "recoverable_fen": recoveries.recoverable_fen(session, claim),
        # before its payment: what its provider still owes, kept back from it (set off)
        "owed_fen": recoveries.owed_by(session, claim.provider_id) if claim.status == ClaimStatus.APPROVED else 0,
    }


@bp.post("/staff/claims/<int:claim_id>/recoveries")
@roles_required(*OPENERS)
def open_recovery(claim_id: int) -> Any:
    from claims.views import claim_detail

    try:
        recovery = recoveries.open_recovery(db_session(), actor(), claim_id, RecoveryInput.from_input(request.form))
    except DomainError as error:
        return claim_detail(claim_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("The recovery is opened: its amount is owed back by the provider."), "success")
    return redirect(url_for("recoveries.recovery_detail", recovery_id=recovery.id))


@bp.get("/staff/recoveries")
@roles_required(*STAFF)
def recovery_list() -> Any:
    page, per_page = page_args(request.args)
    status = request.args.get("status")
    chosen = RecoveryStatus(status) if status in {s.value for s in RecoveryStatus} else None
    result = recoveries.list_recoveries(db_session(), actor(), page, per_page, status=chosen)
    return render_template("claims/recoveries.html", page=result, status=chosen, statuses=list(RecoveryStatus))


@bp.get("/staff/recoveries/<int:recovery_id>")
@roles_required(*STAFF)
def recovery_detail(recovery_id: int, errors: dict | None = None, status: int = 200) -> Any:
    recovery = recoveries.staff_recovery(db_session(), actor(), recovery_id)
    return render_template(
        "claims/recovery.html",
        recovery=recovery,
        errors=errors or {},
        form=request.form,
        today=clock.today(),
        opened_on=clock.china_date(recovery.opened_at),
        can=lambda action: RECOVERY.can(recovery.status, action),
        timeline=history(db_session(), "recovery", recovery.id),
    ), status


@bp.post("/staff/recoveries/<int:recovery_id>/repayments")
@roles_required(*STAFF)
def record_repayment(recovery_id: int) -> Any:
    try:
        recoveries.record_repayment(db_session(), actor(), recovery_id, RepaymentInput.from_input(request.form))
    except DomainError as error:
        return recovery_detail(recovery_id, errors=error.errors or {"_": [error.detail]}, status=error.status)
    flash(_("The repayment is recorded: back in the programme's budget."), "success")
    return redirect(url_for("recoveries.recovery_detail", recovery_id=recovery_id))
