"""Panels: what an area shows on another area's page (the catalogue on the home page, a provider's
products on its organisation's page). The page names the place, ``{{ panels("home") }}`` in a loop of
includes; an area adds its partial template there in its ``init_app``. So a page never names an
area above it, and an area that is not installed shows nothing."""

from __future__ import annotations

PANELS: dict[str, list[tuple[int, str]]] = {}


def add(place: str, template: str, *, order: int = 50) -> None:
    entries = PANELS.setdefault(place, [])
    if all(t != template for _, t in entries):
        entries.append((order, template))
        entries.sort()


def panels(place: str) -> list[str]:
    """The templates to include at ``place``, in order."""
    return [template for _, template in PANELS.get(place, [])]
