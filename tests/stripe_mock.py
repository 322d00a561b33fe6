"""The Stripe mock (localstripe) for the tests: one instance per test session on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def stripe_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running localstripe (``STRIPE_API_BASE``)."""
    executable = Path(sys.executable).with_name("localstripe")
    if not executable.exists():
        pytest.skip("localstripe is not installed (pip install -e '.[dev]')")
    port = _free_port()
    log = open(tmp_path_factory.mktemp("localstripe") / "localstripe.log", "wb")
    process = subprocess.Popen(
        [str(executable), "--port", str(port), "--from-scratch"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("localstripe exited at start") from None
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("localstripe did not start")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def stripe_gateway(stripe_mock):  # type: ignore[no-untyped-def]
    from orders.payments import StripeGateway

    return StripeGateway("sk_test_yunquan", api_base=stripe_mock)


def card(gateway, number: str = "4242424242424242") -> str:  # type: ignore[no-untyped-def]
    """A PaymentMethod id for a test card (what Stripe.js would send from the checkout page)."""
    pm = gateway.client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    return pm.id


VISA = "4242424242424242"
DECLINED = "4000000000000341"
NEEDS_AUTHENTICATION = "4000002500003155"


@pytest.fixture
def payments(app, stripe_gateway):  # type: ignore[no-untyped-def]
    """The app's payment gateway pointed at the test session's localstripe."""
    app.extensions["orders.gateway"] = stripe_gateway
    app.config["STRIPE_API_BASE"] = stripe_gateway.api_base
    app.config["STRIPE_JS_URL"] = f"{stripe_gateway.api_base}/js.stripe.com/v3/"
    return stripe_gateway
