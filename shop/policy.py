"""The programme's policy: every figure of the notice the code applies, in one object.

Guizhou's notice (``../shared/seeds``, 贵州省企业上云云使用券管理办法) is today's only programme, so
``GUIZHOU`` is the policy every area reads through ``current()``. The rules stay plain functions that
take the figures as parameters (``exit_effective_on(day, notice_days)``); services pass
``policy.current().…`` the way they pass ``clock.today()``. A second programme, or next year's
notice changing one figure, is a second ``ProgrammePolicy`` here, not a search through the areas.

China keeps one time zone, UTC+8, with no daylight saving time: ``TIMEZONE`` and ``UTC_OFFSET``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from shop.i18n import _l

TIMEZONE = ZoneInfo("Asia/Shanghai")
UTC_OFFSET = dt.timedelta(hours=8)  # Asia/Shanghai has had no daylight saving time since 1991
# the prefecture (市、州) of an administrative division code (GB/T 2260): its first four digits
PREFECTURE_DIGITS = 4


class Layer(StrEnum):
    """The three service layers of 第十一条."""

    INFRASTRUCTURE = "infrastructure"
    PLATFORM = "platform"
    APPLICATION = "application"


class Category(StrEnum):
    COMPUTE = "compute"
    STORAGE = "storage"
    NETWORK = "network"
    SECURITY = "security"
    DATABASE = "database"
    BIG_DATA = "big_data"
    IOT = "iot"
    DEVOPS = "devops"
    PRODUCTION = "production"
    RND_DESIGN = "rnd_design"
    OTHER_APPS = "other_apps"


@dataclass(frozen=True)
class ProgrammePolicy:
    key: str
    name: Any
    # 第十四条: enterprises registered in the province (the first digits of the division code)
    province_prefix: str
    # the prefectures (市、州) of the province, by the first four digits of a division code (GB/T 2260)
    prefectures: Mapping[str, Any]
    # 第十一条: the categories of each layer, in the order people read them
    categories: Mapping[Layer, tuple[Category, ...]]
    # 第十六条: the share of a product's price vouchers may pay, by layer (percent), and the
    # enterprise's yearly cap: the defaults the authority's programme form starts from
    default_ratios: Mapping[Layer, int]
    default_enterprise_cap_fen: int
    # 第十四条: established for at least this many whole years
    min_established_years: int
    # 第十二条: a voluntary exit takes effect this many days after the request
    exit_notice_days: int
    # 第二十五条: the operator answers the authority's query within this many working days
    query_working_days: int
    # 公示: a grant or a disbursement stays in the public notice this many working days
    notice_working_days: int
    # 第二十三条: the evidence a redemption claim carries, one of each at least
    evidence_kinds: tuple[str, ...]
    layers: tuple[Layer, ...] = field(default=tuple(Layer))

    def layer_of(self, category: str) -> Layer | None:
        for layer, categories in self.categories.items():
            if category in categories:
                return layer
        return None

    def prefecture_name(self, code: str) -> Any:
        """A prefecture's name; a code outside the table stays as it is (another province, a new code)."""
        return self.prefectures.get(code, code)


# 贵州省的市（州）
GUIZHOU_PREFECTURES: dict[str, Any] = {
    "5201": _l("Guiyang"),
    "5202": _l("Liupanshui"),
    "5203": _l("Zunyi"),
    "5204": _l("Anshun"),
    "5205": _l("Bijie"),
    "5206": _l("Tongren"),
    "5223": _l("Qianxinan"),
    "5226": _l("Qiandongnan"),
    "5227": _l("Qiannan"),
}

GUIZHOU = ProgrammePolicy(
    key="guizhou",
    name=_l("Guizhou cloud-use vouchers"),
    province_prefix="52",
    prefectures=GUIZHOU_PREFECTURES,
    categories={
        Layer.INFRASTRUCTURE: (Category.COMPUTE, Category.STORAGE, Category.NETWORK, Category.SECURITY),
        Layer.PLATFORM: (Category.DATABASE, Category.BIG_DATA, Category.IOT, Category.DEVOPS),
        Layer.APPLICATION: (Category.PRODUCTION, Category.RND_DESIGN, Category.OTHER_APPS),
    },
    default_ratios={Layer.INFRASTRUCTURE: 40, Layer.PLATFORM: 60, Layer.APPLICATION: 60},
    default_enterprise_cap_fen=5_000_000,  # ¥50,000
    min_established_years=1,
    exit_notice_days=30,
    query_working_days=3,
    notice_working_days=5,
    evidence_kinds=("invoice", "contract", "transfer", "usage"),
)

POLICIES: dict[str, ProgrammePolicy] = {GUIZHOU.key: GUIZHOU}


def current() -> ProgrammePolicy:
    """The running programme's policy: ``PROGRAMME_POLICY`` of the app's configuration (``guizhou``),
    Guizhou's outside an app (unit tests, scripts)."""
    if has_app_context():
        return POLICIES[current_app.config.get("PROGRAMME_POLICY", GUIZHOU.key)]
    return GUIZHOU


def year_end(year: int) -> dt.date:
    """The last day of a programme year: quotas expire then (第十六条), applications close then at the latest."""
    return dt.date(year, 12, 31)


def year_start(year: int) -> dt.date:
    return dt.date(year, 1, 1)


def prefecture_code(region_code: str | None) -> str:
    """The prefecture (市、州) of a six-digit division code: its first ``PREFECTURE_DIGITS`` digits."""
    return (region_code or "")[:PREFECTURE_DIGITS]


def voucher_share_fen(amount_fen: int, ratio_percent: int, accepts_vouchers: bool = True) -> int:
    """第十六条 and API.md: the most vouchers may pay of an amount: floor(amount × ratio / 100); 0 when the
    product does not accept vouchers. Integer arithmetic only: the one place a share is rounded."""
    if not accepts_vouchers or amount_fen <= 0 or ratio_percent <= 0:
        return 0
    return amount_fen * ratio_percent // 100
