"""Catalogue rules (第十一条, 第十二条, 第十七条) in plain Python: layers and categories, the price
ceiling, market price evidence, voucher share per layer, the exit date, and how a search query is
cut into terms. No Flask, no database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from shop.i18n import _l
from shop.inputs import CONTROL_CHARACTERS
from shop.money import format_fen
from shop.policy import Category, Layer

# Field limits, shared by the services, the forms and the API description.
NAME_MAX = 120
UNIT_MAX = 20
DESCRIPTION_MAX = 10_000
EVIDENCE_URL_MAX = 500
REASON_MAX = 2000
# The largest price a listing may carry (¥100,000,000.00): far above any real cloud product, far
# below what a BigInteger holds, so that sums over many lines never come near an overflow.
PRICE_MAX_FEN = 10_000_000_000


def category_belongs_to_layer(layer: str, category: str, categories: Mapping[Layer, tuple[Category, ...]]) -> bool:
    """第十一条: the category is one of the layer's (the programme's table)."""
    try:
        return Category(category) in categories.get(Layer(layer), ())
    except ValueError:
        return False


def check_price(price_fen: int, market_price_fen: int) -> object | None:
    """第十七条: 价格不高于市场价格. None when the price may stand, else the message, which states
    both prices so that the provider sees what to change."""
    if price_fen > market_price_fen:
        return _l(
            "The price %(price)s is above the market price %(market)s: a listing may not cost more than the market.",
            price=format_fen(price_fen),
            market=format_fen(market_price_fen),
        )
    return None


def check_evidence_url(url: str) -> object | None:
    """The market price evidence, when it is a link, must be a public web page (http or https)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        return _l("Enter the address of a public web page, starting with https:// or http://.")
    return None


def exit_effective_on(requested_on: dt.date, notice_days: int) -> dt.date:
    """第十二条: the day a voluntary exit takes effect (``notice_days`` after the request, the policy's
    exit notice); from that day on the products are gone."""
    return requested_on + dt.timedelta(days=notice_days)


def listed_on(day: dt.date, exit_effective: dt.date | None) -> bool:
    """Whether a provider leaving on ``exit_effective`` may still sell on ``day``."""
    return exit_effective is None or day < exit_effective


# -- search -------------------------------------------------------------------------------------

# Full-text indexes here work on three-character windows (SQLite FTS5 trigram, PostgreSQL pg_trgm):
# shorter terms are matched by a plain substring scan instead.
TRIGRAM = 3
MAX_TERMS = 6
MAX_QUERY = 100
_SPLIT = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[str, ...]

    @property
    def long_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) >= TRIGRAM)

    @property
    def short_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) < TRIGRAM)

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_search(text: str | None) -> SearchQuery:
    """A query as a person types it → its terms: split at spaces and punctuation, case folded,
    duplicates dropped, at most a few. Every term must occur in the name or the description."""
    if not text:
        return SearchQuery(())
    terms: list[str] = []
    for raw in _SPLIT.split(CONTROL_CHARACTERS.sub(" ", text).strip()[:MAX_QUERY]):
        term = raw.strip().casefold()
        if term and term not in terms:
            terms.append(term)
    return SearchQuery(tuple(terms[:MAX_TERMS]))


def fts5_phrase(term: str) -> str:
    """A term as an FTS5 phrase (quoted, inner quotes doubled): the trigram tokenizer then matches it
    as a substring, whatever characters it holds."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """A substring pattern for LIKE with ``\\`` as the escape character."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# -- revisions ----------------------------------------------------------------------------------

# What reviewers compare between the published version and its revision, in reading order. The
# evidence is one item whether it is a link or a file.
DIFF_FIELDS = (
    "name",
    "layer",
    "category",
    "unit",
    "price_fen",
    "market_price_fen",
    "evidence",
    "accepts_vouchers",
    "description",
)


def _evidence_of(content: dict) -> tuple:
    return (content.get("evidence_url"), content.get("evidence_sha256"), content.get("evidence_original_name"))


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


def diff_content(before: dict, after: dict) -> list[Change]:
    """The fields that differ between two versions' contents (``ProductVersion.content()``)."""
    changes = []
    for field in DIFF_FIELDS:
        if field == "evidence":
            old, new = _evidence_of(before), _evidence_of(after)
        else:
            old, new = before.get(field), after.get(field)
        if old != new:
            changes.append(Change(field, old, new))
    return changes
