"""The product pipeline as a transition table (第十一条, 第十七条): the provider submits, the operator
reviews, then the authority; either may reject with a reason; the provider or the operator delists.

``status`` follows the product's latest version through review. What is on sale is a separate fact
(``Product.published_version_id``): a published product whose change is in review still sells its
approved version, so "submitted" with a published version means "on sale, a revision in review".
"""

from __future__ import annotations

from enum import StrEnum

from shop.states import StateMachine


class ProductStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OPERATOR_APPROVED = "operator_approved"
    PUBLISHED = "published"
    REJECTED = "rejected"
    DELISTED = "delisted"


S = ProductStatus

PRODUCT = StateMachine[ProductStatus](
    "product",
    {
        S.DRAFT: {"submit": S.SUBMITTED, "delist": S.DELISTED},
        S.SUBMITTED: {"operator_approve": S.OPERATOR_APPROVED, "reject": S.REJECTED, "delist": S.DELISTED},
        S.OPERATOR_APPROVED: {"authority_approve": S.PUBLISHED, "reject": S.REJECTED, "delist": S.DELISTED},
        # a rejected product is changed and submitted again
        S.REJECTED: {"submit": S.SUBMITTED, "delist": S.DELISTED},
        # a change to a published product is submitted as a revision; the approved version keeps selling
        S.PUBLISHED: {"submit": S.SUBMITTED, "delist": S.DELISTED},
        # back in the catalogue only through both reviews again
        S.DELISTED: {"submit": S.SUBMITTED},
    },
)

# The review stage each staff role acts on, and the action its approval takes.
REVIEW_STAGES = {
    "operator": (S.SUBMITTED, "operator_approve"),
    "authority": (S.OPERATOR_APPROVED, "authority_approve"),
}

IN_REVIEW = frozenset({S.SUBMITTED, S.OPERATOR_APPROVED})
