"""Which wallet a checkout spends, and at what ratio: an enterprise may hold wallets in several
programmes and schemes; the checkout spends the one it names, by default the one that expires first.
The ratio comes from the policy version its grant was decided under (the scheme's ratios, or the
year of the subscription's); a product outside the scheme's categories gets no voucher from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop import hooks
from shop.errors import ValidationError
from shop.i18n import _l
from wallet import grants, ledger, versions
from wallet.models import Programme, QuotaApplication
from wallet.rules import scheme_ratios
from wallet.states import AccountKind, ApplicationStatus


@dataclass(frozen=True)
class WalletChoice:
    book: ledger.Book
    title: str
    ratios: dict[str, int]
    categories: tuple[str, ...]  # empty: every category
    available_fen: int
    policy_version: int | None

    @property
    def key(self) -> str:
        return self.book.wallet

    def covers(self, category: str) -> bool:
        return not self.categories or category in self.categories


def choices(session: Session, org_id: int, today: dt.date) -> list[WalletChoice]:
    """The enterprise's wallets with vouchers to spend, the one that expires first first; the
    province-wide wallet of this year is always among them (empty or not), as the first round had it."""
    out: list[WalletChoice] = []
    this_year = str(today.year)
    year_available = ledger.balance(session, AccountKind.AVAILABLE, today.year, org_id)
    year_programme = session.scalars(
        select(Programme).where(Programme.year == today.year, Programme.book == this_year)
    ).one_or_none()
    out.append(
        WalletChoice(
            ledger.Book.of_year(today.year),
            (year_programme.title or year_programme.code) if year_programme else this_year,
            hooks.layer_ratios(session, today.year),
            (),
            year_available,
            year_programme.policy_version if year_programme else None,
        )
    )
    rows = session.execute(
        select(QuotaApplication, Programme)
        .join(Programme, Programme.id == QuotaApplication.programme_id)
        .where(
            QuotaApplication.organisation_id == org_id,
            QuotaApplication.status == ApplicationStatus.GRANTED,
            Programme.starts_on <= today,
            Programme.ends_on >= today,
        )
    ).all()
    for application, programme in rows:
        if programme.book == str(programme.year):
            continue  # a province-wide wallet: the first of the list
        rules = versions.rules_of(session, programme, application.policy_version)
        scheme = rules.scheme(application.scheme)
        if scheme is None:
            continue
        org_region = application.organisation.region_code
        book = grants.book_for(programme, scheme.key, org_region, rules)
        if application.valid_until is not None:  # valid for the policy's days from the grant
            if application.valid_until < today:
                continue
            book = replace(book, expires_on=min(book.expires_on, application.valid_until))
        available = ledger.balance(session, AccountKind.AVAILABLE, book, org_id)
        out.append(
            WalletChoice(
                book,
                f"{programme.title or programme.code} · {scheme.title}",
                scheme_ratios(scheme, application.subscription_year),
                tuple(scheme.categories),
                available,
                application.policy_version,
            )
        )
    year_wallet, others = out[0], sorted(out[1:], key=lambda c: (c.book.expires_on, c.key))
    return [year_wallet, *others] if year_wallet.available_fen or not others else [*others, year_wallet]


def choose(session: Session, org_id: int, today: dt.date, wanted: str | None) -> WalletChoice:
    """The wallet ``wanted`` names (its key), else the first with vouchers that expires first."""
    options = choices(session, org_id, today)
    if wanted:
        for option in options:
            if option.key == wanted:
                return option
        raise ValidationError({"wallet": [_l("The enterprise has no such wallet to spend.")]})
    with_vouchers = [o for o in options if o.available_fen > 0]
    if with_vouchers:
        return min(with_vouchers, key=lambda c: c.book.expires_on)
    return options[0]


def buyer_ratios(session: Session, org_id: int, today: dt.date) -> hooks.Ratios:
    """The source registered with ``shop.hooks``: what the catalogue shows an enterprise, the ratios of
    the wallet its checkout spends by default."""
    choice = choose(session, org_id, today, None)
    return hooks.Ratios(choice.ratios, choice.categories)
