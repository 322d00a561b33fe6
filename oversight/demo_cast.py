"""The demo's cast and calendar, shared by its parts (``oversight.demo``): the year, the twenty-two
enterprises across Guizhou's nine prefectures, how each provider works, and the helpers that date what
the use cases made to the day it happens in the demo's story."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from oversight.models import NoticeEntry
from oversight.notices import notice_period_end
from shop import clock

YEAR = 2026
BULK_KEY = "demo-bulk-"
FIRST_DAY = dt.date(YEAR, 1, 5)
LAST_DAY = dt.date(YEAR, 12, 18)
# the smallest PDF the upload check recognises, standing in for scanned claim documents
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    uscc17: str
    name: str
    region_code: str
    established_on: dt.date
    contact: str
    weight: int = 2  # how often it buys


ENTERPRISES = [
    DemoEnterprise(
        "gy-logistics", "91520103MA6QY0101", "贵阳云岩智慧物流有限公司", "520103", dt.date(2013, 6, 3), "吴海", 4
    ),
    DemoEnterprise(
        "gy-software", "91520115MA6QY0102", "贵州筑城软件开发有限公司", "520115", dt.date(2016, 9, 12), "陈露", 4
    ),
    DemoEnterprise(
        "gy-aluminium", "91520113MA6QY0103", "贵阳白云铝材加工有限公司", "520113", dt.date(2009, 3, 28), "杨军", 3
    ),
    DemoEnterprise(
        "gy-catering", "91520102MA6QY0104", "贵州南明餐饮连锁管理有限公司", "520102", dt.date(2015, 11, 2), "张丽", 3
    ),
    DemoEnterprise(
        "gy-medical", "91520115MA6QY0105", "贵阳观山湖医疗器械有限公司", "520115", dt.date(2018, 4, 16), "刘畅", 3
    ),
    DemoEnterprise(
        "zy-equipment", "91520303MA6QY0106", "遵义汇川装备制造有限公司", "520303", dt.date(2011, 8, 8), "王磊", 3
    ),
    DemoEnterprise(
        "zy-liquor", "91520302MA6QY0107", "遵义红花岗酱香酒业有限公司", "520302", dt.date(2008, 5, 20), "赵刚", 3
    ),
    DemoEnterprise(
        "zy-selenium-tea", "91520327MA6QY0108", "遵义凤冈锌硒茶业有限公司", "520327", dt.date(2014, 3, 1), "邹萍", 2
    ),
    DemoEnterprise(
        "lps-energy", "91520201MA6QY0109", "六盘水钟山能源科技有限公司", "520201", dt.date(2012, 10, 10), "黄伟", 2
    ),
    DemoEnterprise(
        "lps-kiwi", "91520281MA6QY0110", "盘州猕猴桃农业开发有限公司", "520281", dt.date(2017, 7, 7), "谢芳", 2
    ),
    DemoEnterprise(
        "as-batik", "91520402MA6QY0111", "安顺西秀蜡染文化有限公司", "520402", dt.date(2016, 2, 18), "韦英", 2
    ),
    DemoEnterprise(
        "as-tourism", "91520423MA6QY0112", "安顺黄果树旅游服务有限公司", "520423", dt.date(2010, 12, 1), "潘勇", 2
    ),
    DemoEnterprise(
        "bj-building", "91520502MA6QY0113", "毕节七星关建材有限公司", "520502", dt.date(2013, 4, 9), "周斌", 2
    ),
    DemoEnterprise(
        "bj-potato", "91520526MA6QY0114", "威宁马铃薯食品有限公司", "520526", dt.date(2019, 9, 23), "马丽", 2
    ),
    DemoEnterprise(
        "tr-manganese", "91520602MA6QY0115", "铜仁碧江锰业新材料有限公司", "520602", dt.date(2011, 1, 15), "田野", 2
    ),
    DemoEnterprise(
        "tr-fanjing", "91520621MA6QY0116", "铜仁梵净山文旅发展有限公司", "520621", dt.date(2018, 6, 30), "杨柳", 2
    ),
    DemoEnterprise(
        "qxn-ecommerce", "91522301MA6QY0117", "兴义金州电子商务有限公司", "522301", dt.date(2017, 3, 3), "岑浩", 2
    ),
    DemoEnterprise(
        "qxn-glutinous", "91522325MA6QY0118", "贞丰糯食品有限公司", "522325", dt.date(2015, 5, 5), "王芬", 1
    ),
    DemoEnterprise(
        "qdn-costume", "91522601MA6QY0119", "凯里苗侗服饰有限公司", "522601", dt.date(2014, 8, 18), "吴秀", 2
    ),
    DemoEnterprise(
        "qdn-silver", "91522634MA6QY0120", "雷山银饰工艺有限公司", "522634", dt.date(2016, 10, 28), "李银", 1
    ),
    DemoEnterprise(
        "qn-maojian", "91522701MA6QY0121", "都匀毛尖茶业有限公司", "522701", dt.date(2012, 2, 12), "蒙强", 2
    ),
    DemoEnterprise(
        "qn-logistics", "91522730MA6QY0122", "龙里物流园区管理有限公司", "522730", dt.date(2019, 1, 8), "罗娟", 1
    ),
]
# the last two are granted a few days before today: their grants are still in notice
RECENT_GRANTS = ("qn-logistics", "qdn-silver")

# how each provider works: (confirmation delay in hours, low and high; share of confirmed orders refunded)
PROVIDER_HABITS = {
    "qianyun": ((1, 8), 0.03),
    "yunshang": ((3, 30), 0.04),
    "zhudata": ((12, 80), 0.10),
    "hangtian": ((6, 120), 0.06),
}
PROVIDER_EMAILS = {
    "qianyun": "provider@yunquan.example",
    "yunshang": "yunshang@yunquan.example",
    "zhudata": "zhudata@yunquan.example",
    "hangtian": "hangtian@yunquan.example",
}


def china_time(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """The instant of ``hour:minute`` in China on ``day``."""
    return clock.china_midnight(day) + dt.timedelta(hours=hour, minutes=minute)


def date_notice(session: Session, entry: NoticeEntry, day: dt.date) -> None:
    """A notice entry as if published on ``day``, with the notice period that gives."""
    entry.event_on = entry.published_on = day
    entry.notice_ends_on = notice_period_end(session, day)
    entry.published_at = china_time(day, 17)
