"""Oversight (五, 数据铁笼; issue 7): the programme dashboard and its report, provider scorecards, the
public notice of grants and disbursements with objections, and complaints. Registered by
``shop.create_app``; it reads every other area and nothing imports it."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from oversight import web
    web.init_app(app)
