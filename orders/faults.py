"""Crash points for the tests that stop the checkout process between two of its steps.

``crash_point("reserved")`` ends the process on the spot (``os._exit``: no cleanup, no rollback
handler, exactly like a killed worker) when ``SHOP_ENV=testing`` and ``YUNQUAN_CRASH_AT`` names that
point; anywhere else it does nothing."""

from __future__ import annotations

import os

POINTS = ("reserved", "intents_unrecorded", "prepared", "authorised_unrecorded", "authorised")


def crash_point(name: str) -> None:
    if os.environ.get("YUNQUAN_CRASH_AT") == name and os.environ.get("SHOP_ENV") == "testing":
        os._exit(70)
