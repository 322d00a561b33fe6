"""Card payments: the gateway protocol the checkout talks to, and its Stripe implementation.

The self-paid part of an order is authorised with manual capture when the order is placed and
captured when the provider confirms it (第十九条–第二十一条). The checkout never keeps a database
transaction open across a call to the gateway, so the steps are split to survive a crash between
any two of them:

1. ``prepare`` creates a PaymentIntent *without confirming it*: nothing is held on the card yet, and
   the intent carries our attempt key in its metadata;
2. the checkout stores the intent id (commit);
3. ``authorise`` confirms it: the amount is now held on the card (``requires_capture``);
4. the checkout finalises (commit), or on failure voids the intent and releases what it held.

Stripe's own idempotency keys are sent as well (real Stripe honours them for 24 hours), but
localstripe ignores them, so our idempotency is ours: the attempt row written before step 1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import stripe


class PaymentDeclined(Exception):
    """The card was refused (402 ``payment_declined``)."""

    def __init__(self, message: str, decline_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.decline_code = decline_code


class PaymentUnavailable(Exception):
    """The payment service could not be reached or failed (503 ``payment_unavailable``)."""


@dataclass(frozen=True)
class Intent:
    id: str
    status: str  # Stripe's: requires_confirmation, requires_capture, succeeded, canceled…
    amount_fen: int
    attempt_key: str | None = None


# How long the Stripe client waits for one answer. The checkout's lease and the minimum age
# ``reconcile-payments`` accepts are computed from a gateway's ``timeout`` (orders.attempts).
CALL_TIMEOUT = 20.0


class PaymentGateway(Protocol):
    timeout: float

    def prepare(self, *, amount_fen: int, payment_method: str, attempt_key: str, description: str) -> Intent: ...
    def authorise(self, intent_id: str) -> Intent: ...
    def capture(self, intent_id: str) -> Intent: ...
    def void(self, intent_id: str) -> Intent: ...
    def refund(self, intent_id: str, amount_fen: int | None = None, *, purpose: str | None = None) -> str: ...
    def retrieve(self, intent_id: str) -> Intent: ...
    def find_by_attempt(self, attempt_key: str) -> list[Intent]: ...


class StripeGateway:
    """The official SDK, against Stripe or (``api_base``) a local mock such as localstripe."""

    def __init__(self, secret_key: str, api_base: str | None = None, timeout: float = CALL_TIMEOUT) -> None:
        self.api_base = api_base
        self.timeout = timeout
        kwargs: dict[str, Any] = {"max_network_retries": 0, "http_client": stripe.RequestsClient(timeout=timeout)}
        if api_base:
            kwargs["base_addresses"] = {"api": api_base.rstrip("/")}
        self.client = stripe.StripeClient(secret_key, **kwargs)

    # -- the steps ------------------------------------------------------------------------------
    def prepare(self, *, amount_fen: int, payment_method: str, attempt_key: str, description: str) -> Intent:
        params = {
            "amount": amount_fen,
            "currency": "cny",
            "payment_method": payment_method,
            "capture_method": "manual",
            "metadata": {"attempt": attempt_key, "description": description},
        }
        with _translated_errors():
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": f"prepare-{attempt_key}"}
            )
        return _intent(intent)

    def authorise(self, intent_id: str) -> Intent:
        with _translated_errors():
            intent = self.client.v1.payment_intents.confirm(
                intent_id, options={"idempotency_key": f"confirm-{intent_id}"}
            )
        result = _intent(intent)
        if result.status != "requires_capture":
            # e.g. requires_action (3-D Secure): we cannot complete it server-side; let go of it
            self._quietly_void(intent_id)
            raise PaymentDeclined(
                "The card needs an authentication this checkout cannot perform; use another card.",
                "authentication_required",
            )
        return result

    def capture(self, intent_id: str) -> Intent:
        with _translated_errors():
            return _intent(
                self.client.v1.payment_intents.capture(intent_id, options={"idempotency_key": f"capture-{intent_id}"})
            )

    def void(self, intent_id: str) -> Intent:
        """Release the hold. A captured (``succeeded``) intent cannot be voided (Stripe refuses): it is
        returned as it is, and the caller refunds it instead."""
        current = self.retrieve(intent_id)
        if current.status in ("canceled", "succeeded"):
            return current
        try:
            with _translated_errors():
                return _intent(self.client.v1.payment_intents.cancel(intent_id))
        except PaymentUnavailable:
            after = self.retrieve(intent_id)  # a capture may have won the race with this void
            if after.status in ("canceled", "succeeded"):
                return after
            raise

    def refund(self, intent_id: str, amount_fen: int | None = None, *, purpose: str | None = None) -> str:
        """Refund a captured intent, once: a retry after a lost answer finds the refund already made
        (localstripe ignores idempotency keys, and Stripe keeps them for 24 hours only). A refund made
        for a ``purpose`` (a contract voucher's amount: ``orders.voucher_issue``) carries it in its
        metadata and is told apart from the order's own refund, so that neither stands for the other."""
        params: dict[str, Any] = {"payment_intent": intent_id}
        if amount_fen is not None:
            params["amount"] = amount_fen
        if purpose is not None:
            params["metadata"] = {"purpose": purpose}
        with _translated_errors():
            made = [
                r
                for r in self.client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100}).data
                if r.status in ("succeeded", "pending") and _purpose(r) == purpose
            ]
            if made and (amount_fen is None or sum(r.amount for r in made) >= amount_fen):
                return made[0].id
            return self.client.v1.refunds.create(
                params=params, options={"idempotency_key": f"refund-{intent_id}-{amount_fen}-{purpose or ''}"}
            ).id

    def retrieve(self, intent_id: str) -> Intent:
        with _translated_errors():
            return _intent(self.client.v1.payment_intents.retrieve(intent_id))

    def find_by_attempt(self, attempt_key: str) -> list[Intent]:
        """Intents carrying this attempt key (for reconciliation after a crash before the intent id
        was stored). Pages through the list: localstripe offers no search."""
        return [i for i in self._all_intents() if i.attempt_key == attempt_key]

    # -- helpers --------------------------------------------------------------------------------
    def _all_intents(self) -> Iterator[Intent]:
        starting_after = None
        while True:
            params: dict[str, Any] = {"limit": 100}
            if starting_after:
                params["starting_after"] = starting_after
            with _translated_errors():
                page = self.client.v1.payment_intents.list(params=params)
            for intent in page.data:
                yield _intent(intent)
            if not page.has_more or not page.data:
                return
            starting_after = page.data[-1].id

    def _quietly_void(self, intent_id: str) -> None:
        try:
            self.client.v1.payment_intents.cancel(intent_id)
        except stripe.StripeError:
            pass


def _intent(obj: Any) -> Intent:
    data = obj.to_dict()
    metadata = data.get("metadata") or {}
    return Intent(
        id=data["id"], status=data["status"], amount_fen=int(data["amount"]), attempt_key=metadata.get("attempt")
    )


class _translated_errors:
    """Stripe's exceptions as ours: a refused card, or a service we cannot rely on right now."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc is None:
            return False
        if isinstance(exc, stripe.CardError):
            raise PaymentDeclined(exc.user_message or "The card was declined.", exc.code) from exc
        if isinstance(exc, stripe.InvalidRequestError) and getattr(exc, "param", None) == "payment_method":
            raise PaymentDeclined("The card details were not accepted.", "invalid_payment_method") from exc
        if isinstance(
            exc,
            (
                stripe.APIConnectionError,
                stripe.RateLimitError,
                stripe.APIError,
                stripe.AuthenticationError,
                stripe.InvalidRequestError,
            ),
        ):
            raise PaymentUnavailable(str(exc)) from exc
        return False


def _purpose(refund: Any) -> str | None:
    """The purpose a refund was made for (its metadata), or None (a StripeObject is not a dict)."""
    try:
        return refund["metadata"]["purpose"]
    except (KeyError, TypeError):
        return None


class InProcessGateway:
    """A gateway that never leaves the process: for benchmarks (to tell our latency from the mock's)
    and for tests that must stop the process between two steps. Payment method ``pm_declined``
    is refused; ``pm_unavailable`` makes the service unreachable."""

    timeout = CALL_TIMEOUT

    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: list[tuple[str, int | None]] = []
        self.purposes: dict[int, str] = {}  # refund number → its purpose, where it has one

    def prepare(self, *, amount_fen: int, payment_method: str, attempt_key: str, description: str) -> Intent:
        if payment_method == "pm_unavailable":
            raise PaymentUnavailable("unreachable")
        # unique across processes: two web workers of a benchmark each hold a gateway
        intent_id = f"pi_local_{uuid.uuid4().hex}"
        self.intents[intent_id] = {
            "status": "requires_confirmation",
            "amount": amount_fen,
            "attempt": attempt_key,
            "pm": payment_method,
        }
        return self.retrieve(intent_id)

    def authorise(self, intent_id: str) -> Intent:
        intent = self.intents[intent_id]
        if intent["pm"] == "pm_declined":
            raise PaymentDeclined("Your card was declined.", "card_declined")
        if intent["status"] != "requires_confirmation":
            raise PaymentUnavailable(f"cannot confirm a {intent['status']} intent")
        intent["status"] = "requires_capture"
        return self.retrieve(intent_id)

    def capture(self, intent_id: str) -> Intent:
        intent = self.intents[intent_id]
        if intent["status"] != "requires_capture":
            raise PaymentUnavailable(f"cannot capture a {intent['status']} intent")
        intent["status"] = "succeeded"
        return self.retrieve(intent_id)

    def void(self, intent_id: str) -> Intent:
        """As Stripe: a captured intent stays captured (the caller refunds it)."""
        intent = self.intents[intent_id]
        if intent["status"] in ("requires_confirmation", "requires_capture"):
            intent["status"] = "canceled"
        return self.retrieve(intent_id)

    def refund(self, intent_id: str, amount_fen: int | None = None, *, purpose: str | None = None) -> str:
        """As ``StripeGateway.refund``: only a captured intent, and once for each purpose."""
        if self.intents[intent_id]["status"] != "succeeded":
            raise PaymentUnavailable("only a captured intent can be refunded")
        for n, (refunded, _amount) in enumerate(self.refunds, start=1):
            if refunded == intent_id and self.purposes.get(n) == purpose:
                return f"re_local_{n}"
        self.refunds.append((intent_id, amount_fen))
        if purpose is not None:
            self.purposes[len(self.refunds)] = purpose
        return f"re_local_{len(self.refunds)}"

    def retrieve(self, intent_id: str) -> Intent:
        intent = self.intents[intent_id]
        return Intent(intent_id, intent["status"], intent["amount"], intent["attempt"])

    def find_by_attempt(self, attempt_key: str) -> list[Intent]:
        return [self.retrieve(i) for i, v in self.intents.items() if v["attempt"] == attempt_key]
