"""Every list is paged: ``?page=`` and ``?per_page=`` (≤ 100), answered as
``{"items", "total", "page", "per_page"}`` (API.md, "Lists")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # beyond any list here; keeps the offset inside a 64-bit integer


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def as_json(self, item: Callable[[T], Any]) -> dict[str, Any]:
        return {
            "items": [item(i) for i in self.items],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }


def page_args(args: Mapping[str, Any], default_per_page: int = 20) -> tuple[int, int]:
    def _int(name: str, default: int) -> int:
        try:
            return int(args.get(name, default))
        except (TypeError, ValueError):
            return default

    page = min(MAX_PAGE, max(1, _int("page", 1)))
    per_page = min(MAX_PER_PAGE, max(1, _int("per_page", default_per_page)))
    return page, per_page


def paginate(session: Session, stmt: Select, page: int, per_page: int, *, scalars: bool = True) -> Page:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    query = stmt.limit(per_page).offset((page - 1) * per_page)
    items = session.scalars(query).all() if scalars else session.execute(query).all()
    return Page(items, total, page, per_page)
