"""The transaction agreement (《上云服务交易协议》, 第十八条): versioned. An order stores the version the
buyer accepted and when; a new version is a new template, never an edit of an old one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    version: str
    template: str


AGREEMENTS = {
    "2026-01": Agreement("2026-01", "orders/agreements/2026-01.html"),
}
CURRENT = AGREEMENTS["2026-01"]
