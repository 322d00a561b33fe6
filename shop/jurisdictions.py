"""Administrative divisions (行政区划代码, GB/T 2260) and jurisdictions, read from python-stdnum's
division table: the one reader of that table (``orgs.rules.lookup_region`` asks here).

A **region** is a current six-digit division code: where an organisation is registered. A
**jurisdiction** is a division code prefix of 2 (province, ``52`` 贵州省), 4 (city, ``5201`` 贵州省贵阳市)
or 6 digits (county or district, ``520102`` 贵州省贵阳市南明区): staff scoped to one see, review and
report only what lies under it, that is whatever has a region code starting with the prefix
(POLICY.md, "jurisdiction"); staff without one (``None``) are the province's and see everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true
from stdnum import numdb

from shop.i18n import _l

# the level of a jurisdiction by the length of its prefix
LEVELS = {2: "province", 4: "city", 6: "county"}

# the table's placeholders between a province and its counties, which are no city of their own
# (直辖市的"市辖区"/"县", 省直辖县级行政区划 such as Hainan's 4690)
_NOT_A_CITY = frozenset(
    {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位", "自治区直辖县级行政单位"}
)
_PERIOD = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")


@dataclass(frozen=True)
class Region:
    """A current six-digit division code and the names of its province, city and county."""

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


@dataclass(frozen=True)
class Jurisdiction:
    """A division code prefix and its name: ``52`` 贵州省, ``5201`` 贵州省贵阳市, ``520102`` 贵州省贵阳市南明区."""

    code: str
    name: str

    @property
    def level(self) -> str:
        return LEVELS[len(self.code)]

    def covers(self, region_code: str | None) -> bool:
        return covers(self.code, region_code)


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


def lookup_region(code: str | None) -> Region | None:
    """A current administrative division code (行政区划代码) of six digits, or None (unknown, retired,
    malformed, or a placeholder such as 北京市市辖区 110100)."""
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
    if prefecture in _NOT_A_CITY:
        prefecture = None
    if code[4:] == "00":
        return Region(code, province, prefecture, None) if prefecture else None
    county = _current_name(parts[1][1].get("county")) if len(parts) > 1 and parts[1][1] else None
    if county is None:
        return None
    return Region(code, province, prefecture, county)


def canonical(code: str) -> str:
    """A province's or a city's six-digit code as its prefix (``520000`` → ``52``, ``520100`` →
    ``5201``): the prefix, not the six digits, is what covers the districts below it."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def lookup(code: str | None) -> Jurisdiction | None:
    """The jurisdiction of a current division code prefix of 2, 4 or 6 digits (a six-digit code of a
    province or city counts as its prefix), or None."""
    if not code or not re.fullmatch(r"\d{2}|\d{4}|\d{6}", code):
        return None
    code = canonical(code)
    if len(code) == 4 and code.endswith("00"):
        return None  # 5200 would be a city of no name
    region = lookup_region(code.ljust(6, "0"))
    if region is None:
        return None
    return Jurisdiction(code, region.name)


def covers(jurisdiction: str | None, region_code: str | None) -> bool:
    """Whether ``region_code`` lies under ``jurisdiction`` (None, the province's staff: everything)."""
    if jurisdiction is None:
        return True
    return bool(region_code) and region_code.startswith(jurisdiction)


def under(column: Any, jurisdiction: str | None) -> ColumnElement[bool]:
    """The SQL condition of ``covers``: ``column LIKE 'prefix%'`` (None: true)."""
    if jurisdiction is None:
        return true()
    return column.startswith(jurisdiction, autoescape=True)


def name(code: str | None) -> str:
    """A jurisdiction's name for people; a code the table does not know stays as it is."""
    found = lookup(code)
    return found.name if found else (code or "")


def check_code(raw: str | None) -> tuple[str | None, Any]:
    """The jurisdiction's code (a province's or city's six digits given as its prefix) and no message,
    or None and a message saying what is wrong with the input."""
    code = (raw or "").strip()
    if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", code):
        return None, _l(
            "A jurisdiction is a division code of 2, 4 or 6 digits: 52 (a province), 5201 (a city) or 520102 "
            "(a county or district)."
        )
    found = lookup(code)
    if found is None:
        return None, _l("%(code)s is not a current administrative division code.", code=code)
    return found.code, None
