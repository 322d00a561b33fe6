"""The scenario tests' card payments stay in the process: the refunds the vouchers cause are read back."""

import pytest

from orders.payments import InProcessGateway


@pytest.fixture
def gateway(app):
    """The card payments stay in the process: the refunds the vouchers cause are read back from it."""
    gateway = InProcessGateway()
    app.extensions["orders.gateway"] = gateway
    return gateway
