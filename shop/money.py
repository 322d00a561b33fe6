"""Money is integer fen (1 CNY = 100 fen) everywhere; these are the only conversions to text."""

from __future__ import annotations

import re

_YUAN = re.compile(r"^(-)?¥?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")


def format_fen(fen: int | None, *, sign: bool = False) -> str:
    """``123456`` → ``¥1,234.56``; negative amounts as ``-¥1.00``."""
    if fen is None:
        return ""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"money must be integer fen, got {type(fen).__name__}")
    negative = fen < 0
    yuan, cents = divmod(abs(fen), 100)
    text = f"¥{yuan:,}.{cents:02d}"
    if negative:
        return "-" + text
    return ("+" + text) if sign and fen > 0 else text


def parse_yuan(text: str) -> int:
    """What a person types (``1234.5``, ``1,234.56``, ``¥12``) → fen, without any float."""
    match = _YUAN.match(text.strip().replace("，", ","))
    if not match:
        raise ValueError(f"not an amount in yuan: {text!r}")
    negative, whole, cents = match.groups()
    fen = int(whole.replace(",", "")) * 100 + int((cents or "0").ljust(2, "0"))
    return -fen if negative else fen


def fen_to_yuan_text(fen: int | None) -> str:
    """For a form field's value: ``123456`` → ``1234.56`` (no symbol, no separators)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"
