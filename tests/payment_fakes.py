"""Payment services that fail the way real ones do, for the tests of the failure paths: an answer
that comes late (the call was carried out, its answer is held back until the test lets it go), a
capture whose answer is lost, a service that goes down right after a call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from orders.payments import InProcessGateway, Intent, PaymentUnavailable, StripeGateway


class LateAnswerGateway(InProcessGateway):
    """Carries out ``step`` (``prepare`` or ``authorise``) at once, then holds its answer back:
    ``waiting`` is set while the checkout waits, and the answer comes when the test sets ``release``."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step
        self.waiting = threading.Event()
        self.release = threading.Event()

    def _answer_late(self, step: str) -> None:
        if step == self.step:
            self.waiting.set()
            if not self.release.wait(120):
                raise AssertionError("the test never let the answer go")

    def prepare(self, **kwargs: Any) -> Intent:
        intent = super().prepare(**kwargs)
        self._answer_late("prepare")
        return intent

    def authorise(self, intent_id: str) -> Intent:
        intent = super().authorise(intent_id)
        self._answer_late("authorise")
        return intent


class LosesCaptureAnswer:
    """Captures, then loses the answer (a timeout: ``PaymentUnavailable``). With ``down_after_capture``
    the service stays unreachable for every call after that until the test sets ``down = False``;
    ``capture_happens=False`` times out *before* capturing; ``answer_lost=False`` answers normally.
    ``after_capture`` runs right after the capture (e.g. to make the database fail next)."""

    def __init__(
        self,
        *args: Any,
        down_after_capture: bool = False,
        capture_happens: bool = True,
        answer_lost: bool = True,
        after_capture: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.down = False
        self.down_after_capture = down_after_capture
        self.capture_happens = capture_happens
        self.answer_lost = answer_lost
        self.after_capture = after_capture

    def _check_up(self) -> None:
        if self.down:
            raise PaymentUnavailable("the payment service is down")

    def capture(self, intent_id: str) -> Intent:
        self._check_up()
        intent = super().capture(intent_id) if self.capture_happens else super().retrieve(intent_id)
        if self.after_capture:
            self.after_capture()
        if self.answer_lost:
            self.down = self.down_after_capture
            raise PaymentUnavailable("read timed out")
        return intent

    def retrieve(self, intent_id: str) -> Intent:
        self._check_up()
        return super().retrieve(intent_id)

    def void(self, intent_id: str) -> Intent:
        self._check_up()
        return super().void(intent_id)

    def refund(self, intent_id: str, amount_fen: int | None = None, *, purpose: str | None = None) -> str:
        self._check_up()
        return super().refund(intent_id, amount_fen, purpose=purpose)


class LostCaptureGateway(LosesCaptureAnswer, InProcessGateway):
    """The in-process payment service, losing a capture's answer."""


class LostCaptureStripeGateway(LosesCaptureAnswer, StripeGateway):
    """Stripe (localstripe), losing a capture's answer."""
