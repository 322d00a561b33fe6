"""What the scenario tests share: the people of a notice with their tokens, the card payments kept in
the process, buying at the full price, the ledger check."""

import io

from tests.helpers import PDF, token_for
from wallet.ledger_check import verify

WAN = 1_000_000  # fen in ¥10,000
YUAN = 100


class People(dict):
    """The scenario's users by what they are; ``people["county"]`` is the headers of a token issued on
    the scenario's current day (a token lives for days, the scenario for a year and more)."""

    def __init__(self, session, users, **things):
        super().__init__(things)
        self.session, self.users, self.tokens = session, users, {}

    def __missing__(self, who):
        from shop import clock

        key = (who, clock.today())
        if key not in self.tokens:
            self.session.rollback()  # a fresh read snapshot before writing the token
            self.tokens[key] = token_for(self.session, self.users[who])
        return self.tokens[key]


def ok(response, status=200):
    assert response.status_code == status, response.json
    return response.json


def buy(client, headers, product):
    """The enterprise's contract: an order at the full price, paid by card (no wallet: Linyi's voucher
    comes after the contract, 第十一条)."""
    body = {
        "lines": [{"product_id": product.id, "quantity": 1}],
        "use_vouchers": False,
        "agreement_accepted": True,
        "payment_method": "pm_card_visa",
    }
    (order,) = ok(client.post("/api/v1/checkout", json=body, headers=headers), 201)["orders"]
    return order


def assert_balanced(app, runner=None):
    """``flask ledger-verify`` as an operator would run it, and the same check read directly."""
    result = (runner or app.test_cli_runner()).invoke(args=["ledger-verify"])
    assert result.exit_code == 0, result.output
    with app.extensions["shop.sessions"]() as s:
        report = verify(s)
    assert report.ok, report


def pdf():
    return io.BytesIO(PDF)
