"""What the catalogue's smaller use cases are asked to do, read once from a form or a JSON body:
a delisting's reason, a provider's notice, an expulsion. (A listing is ``catalog.listing.ListingInput``,
a review ``shop.inputs.Decision``, the catalogue's filters ``catalog.search.CatalogueFilter``.)

Each is a frozen dataclass whose ``from_input(data)`` checks every field and raises one ValidationError
with every fault; pages call ``X.from_input(request.form)``, the API ``X.from_input(json_body())``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from shop.inputs import Inputs


@dataclass(frozen=True)
class Expulsion:
    """第十二条: why the operator expels an organisation, and whether its credit code goes on the
    blacklist (serious cases)."""

    reason: str
    blacklist: bool = False

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None) -> Self:
        inputs = Inputs(data)
        reason = inputs.reason(required=True)
        blacklist = inputs.boolean("blacklist", default=False)
        inputs.check()
        return cls(reason, blacklist)
