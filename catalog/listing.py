"""Reading a listing's fields (a new product, a change of one, the form's live check) into a
``ListingInput``: every fault at once, with the yuan and fen twins of a price (``Inputs.fen``), and
the stored market price quote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Self

from catalog.models import ProductVersion
from catalog.rules import (
    DESCRIPTION_MAX,
    EVIDENCE_URL_MAX,
    NAME_MAX,
    PRICE_MAX_FEN,
    UNIT_MAX,
    category_belongs_to_layer,
    check_evidence_url,
    check_price,
)
from shop import policy
from shop.errors import ValidationError
from shop.i18n import _l
from shop.inputs import Inputs
from shop.labels import label
from shop.money import format_fen
from shop.policy import Category, Layer
from shop.uploads import MB, StoredFile, store_upload

EVIDENCE_TYPES = ("pdf", "jpg", "png")
EVIDENCE_MAX_BYTES = 10 * MB


@dataclass(frozen=True)
class Upload:
    """A file given with a listing (the market price quote)."""

    stream: BinaryIO | None
    filename: str | None

    def __bool__(self) -> bool:
        return self.stream is not None and bool(self.filename)


# -- reading a listing's fields -----------------------------------------------------------------

AMOUNTS = ("price_fen", "market_price_fen")


@dataclass(frozen=True)
class ListingInput:
    """A listing to create, or the change of one (``partial``: only the fields given), read once from
    a form or a JSON body. ``values`` holds the typed fields given (``given`` names them); a link as
    evidence is ``evidence_url``, a quote file ``evidence``; ``where`` says which field each amount was
    read from (``price`` in yuan from a page, ``price_fen`` from the API), so the rules over the whole
    listing put their message beside the field the person typed."""

    values: Mapping[str, Any]
    evidence_url: str | None = None
    evidence: Upload | None = None
    where: Mapping[str, str] = field(default_factory=lambda: {name: name for name in AMOUNTS})
    partial: bool = False

    @property
    def given(self) -> frozenset[str]:
        return frozenset(self.values) | ({"market_price_evidence"} if self.evidence_url or self.evidence else set())

    @classmethod
    def from_input(
        cls,
        data: Mapping[str, Any] | None,
        *,
        evidence: Upload | None = None,
        partial: bool = False,
        base: Mapping[str, Any] | None = None,
        file_expected: bool = False,
    ) -> Self:
        """Every fault at once: the fields', and the rules over the whole listing when it is whole
        (a new one; or a change with the ``base`` content it changes — a use case checks the change
        again against the version it locks). ``file_expected``: a form checked while a person types,
        whose quote file only comes with the form."""
        inputs = Inputs(data)
        values, url = _read_fields(inputs, partial)
        if evidence and "market_price_evidence" in inputs.errors:  # a file replaces a bad link
            inputs.errors.pop("market_price_evidence")
            url = None
        command = cls(values, url, evidence or None, {name: inputs.fen_field(name) for name in AMOUNTS}, partial)
        if partial and base is None:
            inputs.check()
        else:
            check_listing(command.merged(base or {}), inputs, command.where, has_file=bool(evidence) or file_expected)
        return command

    def merged(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """The listing's content once this is applied to ``base`` (a version's content; {} for a new
        one): a link clears a quote; a quote file, stored, replaces a link (``evidence_fields``)."""
        content = dict(base)
        content.update({k: v for k, v in self.values.items() if v is not None})
        if self.evidence_url or not self.partial:
            content.update(evidence_fields(None, self.evidence_url))
        return content

    def check(self, content: Mapping[str, Any]) -> None:
        """The rules over the whole listing, on ``content`` (``merged``): raises their faults."""
        check_listing(content, Inputs(None), self.where, has_file=bool(self.evidence))


def _read_fields(inputs: Inputs, partial: bool) -> tuple[dict[str, Any], str | None]:
    """The listing's fields that were given (all of them unless ``partial``), typed, and the link
    given as evidence; the faults of each stay in ``inputs``."""

    def wanted(name: str) -> bool:
        return not partial or inputs.given(name)

    values: dict[str, Any] = {}
    if wanted("layer"):
        layer = inputs.choice("layer", [layer.value for layer in Layer])
        values["layer"] = Layer(layer) if layer else None
    if wanted("category"):
        category = inputs.choice("category", [c.value for c in Category])
        values["category"] = Category(category) if category else None
    if wanted("name"):
        values["name"] = inputs.text("name", max_length=NAME_MAX, min_length=2)
    if wanted("description"):
        values["description"] = inputs.text("description", max_length=DESCRIPTION_MAX, min_length=10)
    if wanted("unit"):
        values["unit"] = inputs.text("unit", max_length=UNIT_MAX)
    for name in AMOUNTS:
        if wanted(name):
            where = inputs.fen_field(name)
            amount = inputs.fen(name, minimum=0) if where != name else inputs.integer(name, minimum=0)
            if amount is not None and where not in inputs.errors:
                if amount == 0:
                    inputs.error(where, _l("Must be more than zero."))
                elif amount > PRICE_MAX_FEN:
                    inputs.error(where, _l("At most %(amount)s.", amount=format_fen(PRICE_MAX_FEN)))
            values[name] = amount
    url = None
    if inputs.present("market_price_evidence") and not hasattr(inputs.data.get("market_price_evidence"), "read"):
        url = inputs.text("market_price_evidence", required=False, max_length=EVIDENCE_URL_MAX)
        if url and (message := check_evidence_url(url)):
            inputs.error("market_price_evidence", message)
    if wanted("accepts_vouchers"):
        values["accepts_vouchers"] = inputs.boolean("accepts_vouchers", default=True)
    return values, url or None


def check_listing(content: Mapping[str, Any], inputs: Inputs, where: Mapping[str, str], *, has_file: bool) -> None:
    """The rules over the whole listing (after a change is merged into it): the category belongs to
    its layer, the price is at most the market price (第十七条), there is evidence. Raises every fault
    at once (with those already in ``inputs``); ``price_above_market`` when that is the only one."""
    layer, category = content.get("layer"), content.get("category")
    if (
        layer
        and category
        and "layer" not in inputs.errors
        and "category" not in inputs.errors
        and not category_belongs_to_layer(layer, category, policy.current().categories)
    ):
        inputs.error(
            "category",
            _l(
                "The category “%(category)s” is not in the layer “%(layer)s”: choose one of %(choices)s.",
                category=label(category),
                layer=label(layer),
                choices="、".join(str(label(c)) for c in policy.current().categories[Layer(layer)]),
            ),
        )
    if (
        not (content.get("evidence_url") or content.get("evidence_stored_name") or has_file)
        and "market_price_evidence" not in inputs.errors
    ):
        inputs.error("market_price_evidence", _l("Give the address of a public price page or upload a quote."))
    price, market = content.get("price_fen"), content.get("market_price_fen")
    price_field = where["price_fen"]
    above = None
    if (
        isinstance(price, int)
        and isinstance(market, int)
        and price_field not in inputs.errors
        and where["market_price_fen"] not in inputs.errors
    ):
        above = check_price(price, market)
        if above:
            inputs.error(price_field, above)
    if inputs.errors:
        only_price = above is not None and set(inputs.errors) == {price_field} and len(inputs.errors[price_field]) == 1
        raise ValidationError(inputs.errors, code="price_above_market" if only_price else "validation_error")


def validate_listing(form: Mapping[str, Any], base: ProductVersion | None = None) -> None:
    """Check a listing as a form holds it, without storing anything (inline validation while a
    person types: the quote file, which is only sent with the form, is not asked for)."""
    ListingInput.from_input(
        form, partial=base is not None, base=base.content() if base is not None else None, file_expected=True
    )


def store_evidence(upload: Upload | None, upload_dir: str | Path | None) -> StoredFile | None:
    if not upload:
        return None
    if upload_dir is None:
        raise ValueError("an upload directory is needed for a quote")
    return store_upload(
        upload_dir,
        "market_price_evidence",
        upload.stream,
        upload.filename,
        allowed=EVIDENCE_TYPES,
        max_bytes=EVIDENCE_MAX_BYTES,
    )


def evidence_fields(stored: StoredFile | None, url: str | None) -> dict[str, Any]:
    """The evidence columns for a quote file, or for a link (which clears a quote, and the reverse)."""
    if stored is not None:
        return {
            "evidence_url": None,
            "evidence_stored_name": stored.stored_name,
            "evidence_original_name": stored.original_name,
            "evidence_content_type": stored.content_type,
            "evidence_size_bytes": stored.size_bytes,
            "evidence_sha256": stored.sha256,
        }
    return {
        "evidence_url": url,
        "evidence_stored_name": None,
        "evidence_original_name": None,
        "evidence_content_type": None,
        "evidence_size_bytes": None,
        "evidence_sha256": None,
    }


def audit_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """A version's content for the audit trail (the quote by its name and hash)."""
    hidden = {"evidence_stored_name", "evidence_content_type", "evidence_size_bytes"}
    return {k: v for k, v in content.items() if k not in hidden}


def remove_evidence(upload_dir: str | Path | None, stored: StoredFile | None) -> None:
    if stored is not None and upload_dir is not None:
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)
