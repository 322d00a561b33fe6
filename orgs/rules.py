"""Registration rules (第十条–第十四条), in plain Python. The rules of an account (e-mail, password)
are the foundation's: ``shop.auth``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum import numdb
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from shop.i18n import _l


def check_uscc(code: str) -> tuple[str | None, object | None]:
    """The compact code and no message, or None and a message saying what is wrong with it
    (GB 32100-2015, checked by python-stdnum)."""
    compact = stdnum_uscc.compact(code or "")
    try:
        stdnum_uscc.validate(compact)
    except InvalidLength:
        return None, _l("A unified social credit code has 18 characters; this one has %(n)d.", n=len(compact))
    except InvalidFormat:
        return None, _l("A unified social credit code has digits and capital letters other than I, O, S, V and Z.")
    except InvalidChecksum:
        return None, _l("The check character (the last one) does not match: please check the code for a typing error.")
    except StdnumError:
        return None, _l("This is not a valid unified social credit code.")
    return compact, None


@dataclass(frozen=True)
class Region:
    code: str
    province: str
    prefecture: str | None
    county: str | None

    @property
    def name(self) -> str:
        return "".join(p for p in (self.province, self.prefecture, self.county) if p)

    @property
    def city_code(self) -> str:
        """The prefecture-level code (地级市), e.g. 520100 贵阳市 for 520102."""
        return self.code[:4] + "00"


_PERIOD = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")


def _current_name(raw: str | None) -> str | None:
    """python-stdnum keeps a division's history (``[-1986]水城特区,[1987-]钟山区``): the name in
    use now, or None when the code was retired."""
    if not raw:
        return None
    match = _PERIOD.match(raw.split(",")[-1])
    if match is None:
        return raw
    _start, end, name = match.groups()
    return None if end else name


def lookup_region(code: str) -> Region | None:
    """A current administrative division code (行政区划代码), from python-stdnum's table, or None."""
    if not code or not re.fullmatch(r"\d{6}", code):
        return None
    table = numdb.get("cn/loc")
    parts = table.info(code)
    province = parts[0][1].get("province") if parts and parts[0][1] else None
    if not province:
        return None
    if code[2:] == "0000":
        return Region(code, province, None, None)
    city_parts = table.info(code[:4] + "00")
    prefecture = _current_name(city_parts[1][1].get("county")) if len(city_parts) > 1 and city_parts[1][1] else None
    if prefecture in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        prefecture = None
    if code[4:] == "00":
        return Region(code, province, prefecture, None) if prefecture else None
    county = _current_name(parts[1][1].get("county")) if len(parts) > 1 and parts[1][1] else None
    if county is None:
        return None
    return Region(code, province, prefecture, county)


def check_established_on(day: dt.date, today: dt.date) -> object | None:
    if day > today:
        return _l("The date of establishment cannot be in the future.")
    if day.year < 1949:
        return _l("The date of establishment is implausibly early.")
    return None


def established_years(established_on: dt.date, on_day: dt.date) -> int:
    """Whole years since establishment (29 February counts its anniversary on 1 March)."""
    years = on_day.year - established_on.year
    if (on_day.month, on_day.day) < (established_on.month, established_on.day):
        years -= 1
    return years
