"""What the order pages offer (orders.services.allowed_actions): the actions ORDER allows from the
order's status that the actor's side of the order performs."""

import pytest

from orders.models import Order
from orders.services import allowed_actions
from orders.states import OrderStatus
from shop.accounts import User
from shop.states import Role

BUYER, PROVIDER = 1, 2


def order(status):
    return Order(status=status, enterprise_id=BUYER, provider_id=PROVIDER)


def buyer():
    return User(role=Role.ENTERPRISE, organisation_id=BUYER)


def provider():
    return User(role=Role.PROVIDER, organisation_id=PROVIDER)


@pytest.mark.parametrize(
    ("status", "for_buyer", "for_provider"),
    [
        (OrderStatus.PLACED, {"cancel"}, {"confirm"}),
        (OrderStatus.CONFIRMED, {"request_refund"}, set()),
        (OrderStatus.REFUND_REQUESTED, set(), {"approve_refund", "reject_refund"}),
        (OrderStatus.CANCELLED, set(), set()),
        (OrderStatus.REFUNDED, set(), set()),
    ],
)
def test_each_side_of_an_order_is_offered_what_it_may_do_from_the_orders_status(status, for_buyer, for_provider):
    assert allowed_actions(buyer(), order(status)) == for_buyer
    assert allowed_actions(provider(), order(status)) == for_provider


@pytest.mark.parametrize(
    "user",
    [
        User(role=Role.OPERATOR, organisation_id=None),
        User(role=Role.ENTERPRISE, organisation_id=3),
        User(role=Role.PROVIDER, organisation_id=BUYER),
    ],
)
def test_staff_and_strangers_are_offered_nothing(user):
    for status in OrderStatus:
        assert allowed_actions(user, order(status)) == set()
