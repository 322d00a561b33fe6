"""The catalog area. Registered by ``shop.create_app``."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing yet: this area lands with its issue."""
