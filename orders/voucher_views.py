"""Pages of contract vouchers (``orders.contract_vouchers``); the API is ``orders.voucher_api``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from orders import contract_vouchers, voucher_reviews
from shop.pagination import page_args
from shop.states import Role
from shop.web import actor, db_session, roles_required

bp = Blueprint("orders_vouchers", __name__, template_folder="templates")


@bp.get("/contract-vouchers")
@roles_required(Role.ENTERPRISE, Role.PROVIDER)
def my_vouchers() -> Any:
    from flask import request

    page, per_page = page_args(request.args)
    result = contract_vouchers.list_vouchers(db_session(), actor(), page=page, per_page=per_page)
    return render_template("orders/vouchers/list.html", page=result)


@bp.get("/contract-vouchers/reviews")
@roles_required(Role.OPERATOR, Role.AUTHORITY)
def review_queue() -> Any:
    queue = voucher_reviews.review_queue(db_session(), actor())
    return render_template("orders/vouchers/queue.html", queue=queue)
