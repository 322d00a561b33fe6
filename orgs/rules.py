"""Registration rules (第十条–第十四条), in plain Python. The rules of an account (e-mail, password)
are the foundation's: ``shop.auth``."""

from __future__ import annotations

import datetime as dt

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from shop import jurisdictions
from shop.i18n import _l
from shop.jurisdictions import Region


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


def lookup_region(code: str) -> Region | None:
    """A current administrative division code (行政区划代码); the foundation reads the table."""
    return jurisdictions.lookup_region(code)


def uscc_division(uscc: str) -> str:
    """GB 32100-2015: characters 3–8 of a unified social credit code are the division code of the
    authority that registered the organisation."""
    return uscc[2:8]


def region_disagreement(uscc: str, region_code: str) -> str | None:
    """The division code inside ``uscc`` when the region differs from it (a company that moved since it
    was registered: the operator records why before certifying it); None when they agree, or when
    that division is no current code (a retired code, ``000000``): agreement unknown, nothing to ask."""
    division = uscc_division(uscc)
    if division == region_code or lookup_region(division) is None:
        return None
    return division


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
