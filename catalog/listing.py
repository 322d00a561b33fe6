"""Reading a listing's fields (a new product, a change of one, the form's live check): every fault
at once, with the yuan and fen twins of a price, and the stored market price quote."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

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

def _wanted(inputs: Inputs, name: str, partial: bool) -> bool:
    if not partial:
        return True
    return inputs.present(name) or (name.endswith("_fen") and inputs.present(name.removesuffix("_fen")))


def money_field(data: Mapping[str, Any], name: str) -> str:
    """Where an amount is read from and its message goes: ``price_fen`` (integer fen) in the API,
    ``price`` (yuan typed by a person) when a page form sends that field instead."""
    yuan = name.removesuffix("_fen")
    return yuan if yuan in data and name not in data else name


def read_listing(data: Mapping[str, Any], *, partial: bool) -> tuple[dict[str, Any], Inputs]:
    """The listing's fields that were given (all of them unless ``partial``), typed; the faults of
    each stay in the returned Inputs."""
    inputs = Inputs(data)
    values: dict[str, Any] = {}
    if _wanted(inputs, "layer", partial):
        layer = inputs.choice("layer", [layer.value for layer in Layer])
        values["layer"] = Layer(layer) if layer else None
    if _wanted(inputs, "category", partial):
        category = inputs.choice("category", [c.value for c in Category])
        values["category"] = Category(category) if category else None
    if _wanted(inputs, "name", partial):
        values["name"] = inputs.text("name", max_length=NAME_MAX, min_length=2)
    if _wanted(inputs, "description", partial):
        values["description"] = inputs.text("description", max_length=DESCRIPTION_MAX, min_length=10)
    if _wanted(inputs, "unit", partial):
        values["unit"] = inputs.text("unit", max_length=UNIT_MAX)
    for name in ("price_fen", "market_price_fen"):
        if _wanted(inputs, name, partial):
            where = money_field(data, name)
            amount = inputs.fen(name, minimum=0) if where != name else inputs.integer(name, minimum=0)
            if amount is not None and where not in inputs.errors:
                if amount == 0:
                    inputs.error(where, _l("Must be more than zero."))
                elif amount > PRICE_MAX_FEN:
                    inputs.error(where, _l("At most %(amount)s.", amount=format_fen(PRICE_MAX_FEN)))
            values[name] = amount
    if inputs.present("market_price_evidence") and not hasattr(data.get("market_price_evidence"), "read"):
        url = inputs.text("market_price_evidence", required=False, max_length=EVIDENCE_URL_MAX)
        if url and (message := check_evidence_url(url)):
            inputs.error("market_price_evidence", message)
        if url:
            values["evidence_url"] = url
    if _wanted(inputs, "accepts_vouchers", partial):
        values["accepts_vouchers"] = inputs.boolean("accepts_vouchers", default=True)
    return values, inputs


def check_listing(content: dict[str, Any], inputs: Inputs, data: Mapping[str, Any], *, has_file: bool) -> None:
    """The rules over the whole listing (after a change is merged into it): the category belongs to
    its layer, the price is at most the market price (第十七条), there is evidence. Raises every fault
    at once; ``price_above_market`` when that is the only one."""
    layer, category = content.get("layer"), content.get("category")
    if layer and category and "layer" not in inputs.errors and "category" not in inputs.errors \
            and not category_belongs_to_layer(layer, category, policy.current().categories):
        inputs.error("category", _l("The category “%(category)s” is not in the layer “%(layer)s”: choose one of %(choices)s.",
                                    category=label(category), layer=label(layer),
                                    choices="、".join(str(label(c)) for c in policy.current().categories[Layer(layer)])))
    if not (content.get("evidence_url") or content.get("evidence_stored_name") or has_file) \
            and "market_price_evidence" not in inputs.errors:
        inputs.error("market_price_evidence", _l("Give the address of a public price page or upload a quote."))
    price, market = content.get("price_fen"), content.get("market_price_fen")
    price_field = money_field(data, "price_fen")
    above = None
    if isinstance(price, int) and isinstance(market, int) and price_field not in inputs.errors \
            and money_field(data, "market_price_fen") not in inputs.errors:
        above = check_price(price, market)
        if above:
            inputs.error(price_field, above)
    if inputs.errors:
        only_price = above is not None and set(inputs.errors) == {price_field} and len(inputs.errors[price_field]) == 1
        raise ValidationError(inputs.errors, code="price_above_market" if only_price else "validation_error")


def validate_listing(data: Mapping[str, Any], base: ProductVersion | None = None) -> None:
    """Check a listing as a form holds it, without storing anything (inline validation while a
    person types: the quote file, which is only sent with the form, is not asked for)."""
    values, inputs = read_listing(data, partial=base is not None)
    content = dict(base.content()) if base is not None else {}
    content.update({k: v for k, v in values.items() if v is not None})
    check_listing(content, inputs, data, has_file=True)


def store_evidence(upload: Upload | None, upload_dir: str | Path | None) -> StoredFile | None:
    if not upload:
        return None
    if upload_dir is None:
        raise ValueError("an upload directory is needed for a quote")
    return store_upload(upload_dir, "market_price_evidence", upload.stream, upload.filename,
                        allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES)


def evidence_fields(stored: StoredFile | None, url: str | None) -> dict[str, Any]:
    """The evidence columns for a quote file, or for a link (which clears a quote, and the reverse)."""
    if stored is not None:
        return {"evidence_url": None, "evidence_stored_name": stored.stored_name,
                "evidence_original_name": stored.original_name, "evidence_content_type": stored.content_type,
                "evidence_size_bytes": stored.size_bytes, "evidence_sha256": stored.sha256}
    return {"evidence_url": url, "evidence_stored_name": None, "evidence_original_name": None,
            "evidence_content_type": None, "evidence_size_bytes": None, "evidence_sha256": None}


def audit_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """A version's content for the audit trail (the quote by its name and hash)."""
    hidden = {"evidence_stored_name", "evidence_content_type", "evidence_size_bytes"}
    return {k: v for k, v in content.items() if k not in hidden}


def remove_evidence(upload_dir: str | Path | None, stored: StoredFile | None) -> None:
    if stored is not None and upload_dir is not None:
        (Path(upload_dir) / stored.stored_name).unlink(missing_ok=True)
