"""Demo data for oversight (``seed-demo``, after the catalogue, wallets and orders; idempotent: each part
looks for what it made before and a second run adds nothing).

So that the dashboard, the scorecards and the public notice mean something, the demo grows to a few
hundred orders spread over the weeks of 2026 up to today, from twenty-two more enterprises across
Guizhou's nine prefectures, each granted its quota through the wallet's use cases. The bulk orders
are written directly (with their vouchers held through ``wallet.ledger`` and every step in the audit
trail), backdated to their week; redemption claims go through the claims' use cases with their
documents, and are then dated to the settlement date they belong to (a demo cannot wait for the
calendar). Complaints and objections go through this area's use cases and are dated likewise.
Random choices come from a fixed seed, so every run makes the same demo.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from catalog.models import Product, ProductVersion
from claims import reviews
from claims import services as claim_cases
from claims.models import Claim, ClaimItem
from orders.agreement import CURRENT as CURRENT_AGREEMENT
from orders.models import CheckoutAttempt, Order, OrderLine
from orders.states import ORDER, AttemptStatus, OrderStatus, PaymentStatus
from oversight import services
from oversight.models import Complaint, ComplaintReply, NoticeEntry, NoticeObjection
from oversight.states import NoticeKind
from shop import clock
from shop.audit import change_state, record
from shop.auth import hash_password
from shop.errors import DomainError
from shop.models import CertificationSubmission, Organisation, User
from shop.seed import DEMO_PASSWORD, demo_org, demo_user, make_uscc
from shop.states import OrgKind, OrgStatus, Role
from wallet import ledger
from wallet import services as wallet_services
from wallet.models import Programme, QuotaApplication
from wallet.states import AccountKind

YEAR = 2026
BULK_KEY = "demo-bulk-"
FIRST_DAY = dt.date(YEAR, 1, 5)
LAST_DAY = dt.date(YEAR, 12, 18)
# the smallest PDF the upload check recognises, standing in for scanned claim documents
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    uscc17: str
    name: str
    region_code: str
    established_on: dt.date
    contact: str
    weight: int = 2          # how often it buys


ENTERPRISES = [
    DemoEnterprise("gy-logistics", "91520103MA6QY0101", "贵阳云岩智慧物流有限公司", "520103", dt.date(2013, 6, 3), "吴海", 4),
    DemoEnterprise("gy-software", "91520115MA6QY0102", "贵州筑城软件开发有限公司", "520115", dt.date(2016, 9, 12), "陈露", 4),
    DemoEnterprise("gy-aluminium", "91520113MA6QY0103", "贵阳白云铝材加工有限公司", "520113", dt.date(2009, 3, 28), "杨军", 3),
    DemoEnterprise("gy-catering", "91520102MA6QY0104", "贵州南明餐饮连锁管理有限公司", "520102", dt.date(2015, 11, 2), "张丽", 3),
    DemoEnterprise("gy-medical", "91520115MA6QY0105", "贵阳观山湖医疗器械有限公司", "520115", dt.date(2018, 4, 16), "刘畅", 3),
    DemoEnterprise("zy-equipment", "91520303MA6QY0106", "遵义汇川装备制造有限公司", "520303", dt.date(2011, 8, 8), "王磊", 3),
    DemoEnterprise("zy-liquor", "91520302MA6QY0107", "遵义红花岗酱香酒业有限公司", "520302", dt.date(2008, 5, 20), "赵刚", 3),
    DemoEnterprise("zy-selenium-tea", "91520327MA6QY0108", "遵义凤冈锌硒茶业有限公司", "520327", dt.date(2014, 3, 1), "邹萍", 2),
    DemoEnterprise("lps-energy", "91520201MA6QY0109", "六盘水钟山能源科技有限公司", "520201", dt.date(2012, 10, 10), "黄伟", 2),
    DemoEnterprise("lps-kiwi", "91520281MA6QY0110", "盘州猕猴桃农业开发有限公司", "520281", dt.date(2017, 7, 7), "谢芳", 2),
    DemoEnterprise("as-batik", "91520402MA6QY0111", "安顺西秀蜡染文化有限公司", "520402", dt.date(2016, 2, 18), "韦英", 2),
    DemoEnterprise("as-tourism", "91520423MA6QY0112", "安顺黄果树旅游服务有限公司", "520423", dt.date(2010, 12, 1), "潘勇", 2),
    DemoEnterprise("bj-building", "91520502MA6QY0113", "毕节七星关建材有限公司", "520502", dt.date(2013, 4, 9), "周斌", 2),
    DemoEnterprise("bj-potato", "91520526MA6QY0114", "威宁马铃薯食品有限公司", "520526", dt.date(2019, 9, 23), "马丽", 2),
    DemoEnterprise("tr-manganese", "91520602MA6QY0115", "铜仁碧江锰业新材料有限公司", "520602", dt.date(2011, 1, 15), "田野", 2),
    DemoEnterprise("tr-fanjing", "91520621MA6QY0116", "铜仁梵净山文旅发展有限公司", "520621", dt.date(2018, 6, 30), "杨柳", 2),
    DemoEnterprise("qxn-ecommerce", "91522301MA6QY0117", "兴义金州电子商务有限公司", "522301", dt.date(2017, 3, 3), "岑浩", 2),
    DemoEnterprise("qxn-glutinous", "91522325MA6QY0118", "贞丰糯食品有限公司", "522325", dt.date(2015, 5, 5), "王芬", 1),
    DemoEnterprise("qdn-costume", "91522601MA6QY0119", "凯里苗侗服饰有限公司", "522601", dt.date(2014, 8, 18), "吴秀", 2),
    DemoEnterprise("qdn-silver", "91522634MA6QY0120", "雷山银饰工艺有限公司", "522634", dt.date(2016, 10, 28), "李银", 1),
    DemoEnterprise("qn-maojian", "91522701MA6QY0121", "都匀毛尖茶业有限公司", "522701", dt.date(2012, 2, 12), "蒙强", 2),
    DemoEnterprise("qn-logistics", "91522730MA6QY0122", "龙里物流园区管理有限公司", "522730", dt.date(2019, 1, 8), "罗娟", 1),
]
# the last two are granted a few days before today: their grants are still in notice
RECENT_GRANTS = ("qn-logistics", "qdn-silver")

# how each provider works: (confirmation delay in hours, low and high; share of confirmed orders refunded)
PROVIDER_HABITS = {"qianyun": ((1, 8), 0.03), "yunshang": ((3, 30), 0.04), "zhudata": ((12, 80), 0.10),
                   "hangtian": ((6, 120), 0.06)}
PROVIDER_EMAILS = {"qianyun": "provider@yunquan.example", "yunshang": "yunshang@yunquan.example",
                   "zhudata": "zhudata@yunquan.example", "hangtian": "hangtian@yunquan.example"}


def seed_oversight(session: Session) -> None:
    programme = session.scalars(select(Programme).where(Programme.year == YEAR)).one_or_none()
    if programme is None:
        return
    today = clock.today()
    rng = random.Random(2026)
    enterprises = _seed_enterprises(session)
    session.commit()
    granted = _seed_grants(session, enterprises, today)
    _seed_orders(session, rng, programme, granted, today)
    session.commit()
    if has_app_context():
        _seed_claims(session, rng, programme, today, current_app.config["UPLOAD_DIR"])
    else:
        print("demo claims skipped: seed through `flask --app shop seed-demo`", file=sys.stderr)
    _seed_complaints(session, rng, today)
    _seed_objections(session, today)
    session.commit()


# -- enterprises and their quotas --------------------------------------------------------------------

def _seed_enterprises(session: Session) -> dict[str, Organisation]:
    operator = demo_user(session, "operator@yunquan.example")
    password_hash: str | None = None
    out = {}
    for spec in ENTERPRISES:
        code = make_uscc(spec.uscc17)
        org = session.scalars(select(Organisation).where(Organisation.uscc == code)).one_or_none()
        if org is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            email = f"{spec.key}@yunquan.example"
            org = Organisation(kind=OrgKind.ENTERPRISE, uscc=code, name=spec.name, region_code=spec.region_code,
                               established_on=spec.established_on, legal_representative=spec.contact,
                               contact_name=spec.contact, contact_phone="0851-8666" + spec.uscc17[-4:], email=email,
                               status=OrgStatus.CERTIFIED, certified_at=clock.now())
            user = User(email=email, password_hash=password_hash, role=Role.ENTERPRISE, name=spec.contact,
                        organisation=org)
            session.add_all([org, user])
            session.flush()
            record(session, user, "organisation", org.id, "register", None, {"status": "pending_certification"})
            session.add(CertificationSubmission(organisation_id=org.id, submitted_by_id=user.id, submitted_at=clock.now(),
                                                decision="approve", decided_by_id=operator.id, decided_at=clock.now()))
            record(session, operator, "organisation", org.id, "approve", {"status": "under_review"},
                   {"status": "certified", "note": "demo data"})
        out[spec.key] = org
    return out


def _grant_day(index: int, key: str, today: dt.date) -> dt.date:
    if key in RECENT_GRANTS:
        return max(FIRST_DAY, today - dt.timedelta(days=2 + RECENT_GRANTS.index(key)))
    return min(dt.date(YEAR, 1, 2) + dt.timedelta(days=3 * index), today - dt.timedelta(days=1))


def _seed_grants(session: Session, enterprises: dict[str, Organisation], today: dt.date) -> dict[int, dt.date]:
    """Each enterprise applies and the operator grants (the use cases, so the grant is published for
    notice); then the dates are moved to the day it happened in the demo's story. Returns the
    enterprises granted, with the day."""
    operator = demo_user(session, "operator@yunquan.example")
    granted: dict[int, dt.date] = {}
    for index, spec in enumerate(ENTERPRISES):
        org = enterprises[spec.key]
        application = session.scalars(select(QuotaApplication).where(
            QuotaApplication.organisation_id == org.id, QuotaApplication.year == YEAR)).one_or_none()
        if application is None:
            try:
                application = wallet_services.apply_for_quota(session, org.members[0], {"year": YEAR})
                wallet_services.review_application(session, operator, application.id, "approve", None)
            except DomainError as error:   # a demo run after the year, or the budget used up
                print(f"demo quota for {spec.name} skipped: {error.detail}", file=sys.stderr)
                session.rollback()
                continue
            day = _grant_day(index, spec.key, today)
            at = _at(day, 10 + index % 6)
            application.applied_at, application.decided_at = at - dt.timedelta(days=1, hours=2), at
            entry = session.scalars(select(NoticeEntry).where(NoticeEntry.kind == NoticeKind.QUOTA_GRANT,
                                                              NoticeEntry.subject_id == application.id)).one_or_none()
            if entry is not None:
                _date_notice(session, entry, day)
            session.commit()
        if application.status.value == "granted" and application.decided_at is not None:
            granted[org.id] = clock.china_date(application.decided_at)
    return granted


def _date_notice(session: Session, entry: NoticeEntry, day: dt.date) -> None:
    entry.event_on = entry.published_on = day
    entry.notice_ends_on = services.notice_period_end(session, day)
    entry.published_at = _at(day, 17)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.china_midnight(day) + dt.timedelta(hours=hour, minutes=minute)


# -- orders ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Offer:
    product_id: int
    version_id: int
    provider_id: int
    provider_key: str
    layer: str
    category: str
    price_fen: int
    unit: str
    accepts_vouchers: bool


def _offers(session: Session) -> list[_Offer]:
    keys = {demo_org(session, key).id: key for key in PROVIDER_EMAILS}
    rows = session.execute(select(Product.id, ProductVersion.id, Product.provider_id, ProductVersion.layer,
                                  ProductVersion.category, ProductVersion.price_fen, ProductVersion.unit,
                                  ProductVersion.accepts_vouchers)
                           .join(ProductVersion, ProductVersion.id == Product.published_version_id)
                           .where(Product.provider_id.in_(keys)).order_by(Product.id)).all()
    return [_Offer(pid, vid, prov, keys[prov], getattr(layer, "value", layer), getattr(cat, "value", cat), price, unit,
                   accepts) for pid, vid, prov, layer, cat, price, unit, accepts in rows]


def _quantity(rng: random.Random, offer: _Offer) -> int:
    if offer.unit == "月":
        return max(1, min(rng.choice([1, 3, 3, 6, 6, 12]), 2_000_000 // max(offer.price_fen, 1)))
    if offer.price_fen <= 5_000_00 and rng.random() < 0.3:
        return 2
    return 1


def _seed_orders(session: Session, rng: random.Random, programme: Programme, granted: dict[int, dt.date],
                 today: dt.date) -> None:
    if session.scalar(select(exists().where(CheckoutAttempt.key.like(BULK_KEY + "%")))):
        return
    last = min(today - dt.timedelta(days=1), LAST_DAY)
    if last < FIRST_DAY + dt.timedelta(days=14) or not granted:
        return
    offers = [o for o in _offers(session) if o.price_fen <= 70_000_00]
    if not offers:
        return
    buyers = {org.id: org for org in session.scalars(select(Organisation).where(Organisation.id.in_(granted)))}
    weights = {org_id: next((e.weight for e in ENTERPRISES if make_uscc(e.uscc17) == org.uscc), 1)
               for org_id, org in buyers.items()}
    available = {org_id: ledger.balance(session, AccountKind.AVAILABLE, YEAR, org_id) for org_id in buyers}
    sellers = {key: demo_user(session, email) for key, email in PROVIDER_EMAILS.items()}
    by_provider: dict[int, list[_Offer]] = defaultdict(list)
    for offer in offers:
        by_provider[offer.provider_id].append(offer)
    ratios = programme.ratios
    mondays = []
    monday = FIRST_DAY - dt.timedelta(days=FIRST_DAY.weekday())
    while monday <= last:
        mondays.append(monday)
        monday += dt.timedelta(days=7)
    number = 0
    for w, monday in enumerate(mondays):
        # adoption grows over the year: from about three orders a week to about eleven
        per_week = 3 + (8 * w) // max(len(mondays) - 1, 1) + rng.choice([-1, 0, 0, 1])
        for _ in range(max(per_week, 1)):
            day = monday + dt.timedelta(days=rng.choice([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5]))
            if day > last or day < FIRST_DAY:
                continue
            candidates = [i for i, d in granted.items() if d < day]
            if not candidates:
                continue
            buyer_id = rng.choices(candidates, [weights[i] for i in candidates])[0]
            first = rng.choice(offers)
            picked = [first]
            if rng.random() < 0.25:
                other = rng.choice(by_provider[first.provider_id])
                if other.product_id != first.product_id:
                    picked.append(other)
            number += 1
            placed_at = _at(day, rng.randint(8, 19), rng.randint(0, 59))
            _bulk_order(session, rng, number, buyers[buyer_id], picked, ratios, available, sellers, placed_at, today)
    session.commit()


def _bulk_order(session: Session, rng: random.Random, number: int, buyer: Organisation, offers: list[_Offer],
                ratios: dict[str, int], available: dict[int, int], sellers: dict[str, User], placed_at: dt.datetime,
                today: dt.date) -> None:
    from orders.rules import LineInput, allocate_vouchers
    wanted = [LineInput(o.product_id, o.version_id, o.provider_id, o.layer, o.price_fen, _quantity(rng, o),
                        o.accepts_vouchers) for o in offers]
    priced = allocate_vouchers(wanted, ratios=ratios, available_fen=available[buyer.id], use_vouchers=True)
    available[buyer.id] -= sum(p.voucher_fen for p in priced)
    lines = [OrderLine(product_id=p.line.product_id, version_id=p.line.version_id, layer=offer.layer,
                       category=offer.category, unit_price_fen=p.line.unit_price_fen, quantity=p.line.quantity,
                       amount_fen=p.amount_fen, voucher_fen=p.voucher_fen) for p, offer in zip(priced, offers, strict=False)]
    total = sum(line.amount_fen for line in lines)
    voucher = sum(line.voucher_fen for line in lines)
    buyer_user = buyer.members[0]
    provider_key = offers[0].provider_key
    seller = sellers[provider_key]
    attempt = CheckoutAttempt(key=f"{BULK_KEY}{number}", request_hash="0" * 64, enterprise_id=buyer.id,
                              user_id=buyer_user.id, status=AttemptStatus.COMPLETED, voucher_year=YEAR,
                              voucher_fen=voucher, self_pay_fen=total - voucher, plan=[], intents={},
                              agreement_version=CURRENT_AGREEMENT.version, agreement_accepted_at=placed_at,
                              created_at=placed_at, updated_at=placed_at)
    session.add(attempt)
    session.flush()
    order = Order(attempt_id=attempt.id, enterprise_id=buyer.id, provider_id=offers[0].provider_id,
                  status=OrderStatus.PLACED, total_fen=total, voucher_fen=voucher, self_pay_fen=total - voucher,
                  voucher_year=YEAR, payment_status=PaymentStatus.AUTHORISED if total > voucher else PaymentStatus.NONE,
                  agreement_version=CURRENT_AGREEMENT.version, agreement_accepted_at=placed_at, placed_at=placed_at)
    order.lines = lines
    session.add(order)
    session.flush()
    if voucher:
        ledger.hold_vouchers(session, YEAR, buyer.id, voucher, ref=("order", order.id), actor_id=buyer_user.id)
    record(session, buyer_user, "order", order.id, "place", None,
           {**order.audit_state(), "total_fen": total, "provider_id": order.provider_id, "note": "demo data"})

    (low, high), refund_share = PROVIDER_HABITS[provider_key]
    age = (today - clock.china_date(placed_at)).days
    roll = rng.random()
    if age < 5 and roll < 0.45:   # still waiting for the provider, within the confirmation deadline
        return
    if roll > 0.94:
        _move(session, order, "cancel", buyer_user, cancelled_at=placed_at + dt.timedelta(hours=rng.randint(1, 20)),
              payment_status=PaymentStatus.VOIDED if order.self_pay_fen else order.payment_status)
        if voucher:
            ledger.release_vouchers(session, YEAR, buyer.id, voucher, ref=("order", order.id), actor_id=buyer_user.id)
            available[buyer.id] += voucher
        return
    confirmed_at = placed_at + dt.timedelta(minutes=rng.randint(low * 60, high * 60))
    _move(session, order, "confirm", seller, confirmed_at=confirmed_at,
          payment_status=PaymentStatus.CAPTURED if order.self_pay_fen else order.payment_status)
    if age > 12 and rng.random() < refund_share:
        asked = confirmed_at + dt.timedelta(days=rng.randint(1, 6))
        _move(session, order, "request_refund", buyer_user, refund_requested_at=asked,
              refund_reason="服务开通后性能达不到合同约定的指标，申请退款。")
        if rng.random() < 0.25:
            return                                               # the provider has not decided yet
        _move(session, order, "approve_refund", seller, refund_decided_at=asked + dt.timedelta(days=1),
              refund_decision_reason="同意退款。",
              payment_status=PaymentStatus.REFUNDED if order.self_pay_fen else order.payment_status)
        if voucher:
            ledger.release_vouchers(session, YEAR, buyer.id, voucher, ref=("order", order.id), actor_id=seller.id)
            available[buyer.id] += voucher


def _move(session: Session, order: Order, action: str, actor: User, **changes: Any) -> None:
    change_state(session, order, ORDER, action, actor, subject_type="order", **changes)


# -- redemption claims ----------------------------------------------------------------------------------

def _seed_claims(session: Session, rng: random.Random, programme: Programme, today: dt.date, upload_dir: str) -> None:
    bulk = select(Order.id).join(CheckoutAttempt, CheckoutAttempt.id == Order.attempt_id).where(
        CheckoutAttempt.key.like(BULK_KEY + "%"))
    if session.scalar(select(exists().where(ClaimItem.order_id.in_(bulk)))):
        return
    dates = sorted(d.day for d in programme.settlement_dates)
    operator = demo_user(session, "operator@yunquan.example")
    authority = demo_user(session, "authority@yunquan.example")
    invoice = iter(range(1, 10**6))
    current = next((d for d in dates if d >= today), None)
    past = [d for d in dates if d < today]
    for key, email in PROVIDER_EMAILS.items():
        seller = demo_user(session, email)
        provider = demo_org(session, key)
        windows = [(d, "paid") for d in past] + ([(current, "current")] if current else [])
        for k, (day, phase) in enumerate(windows):
            cutoff = min(day, today - dt.timedelta(days=3))
            orders = list(session.scalars(
                claim_cases.claimable_query(provider.id).where(Order.id.in_(bulk),
                                                               Order.confirmed_at < clock.china_midnight(cutoff))
                .order_by(Order.id)))
            if not orders:
                continue
            try:
                claim = _claim(session, seller, orders, upload_dir, invoice)
                if phase == "paid":
                    rejected = key == "zhudata" and k == 1
                    _paid_claim(session, claim, day, today, operator, authority, rejected,
                                recent=(k == len(past) - 1 and key == "qianyun"))
                else:
                    _current_claim(session, claim, key, operator, authority)
            except DomainError as error:
                session.rollback()
                print(f"demo claim of {provider.name} skipped: {error.detail}", file=sys.stderr)


def _claim(session: Session, seller: User, orders: list[Order], upload_dir: str, invoice: Any) -> Claim:
    claim = claim_cases.create_claim(session, seller, {"order_ids": [o.id for o in orders]})
    total = sum(o.total_fen for o in orders)
    for kind in ("invoice", "contract", "transfer", "usage"):
        data: dict[str, Any] = {"kind": kind}
        if kind == "invoice":
            data.update(invoice_number=f"52{YEAR}{claim.id:04d}{next(invoice):04d}", invoice_amount_fen=total)
        claim_cases.add_claim_document(session, seller, claim.id, data, (io.BytesIO(PDF), f"{kind}.pdf"), upload_dir)
    return claim


def _paid_claim(session: Session, claim: Claim, day: dt.date, today: dt.date, operator: User, authority: User,
                rejected: bool, recent: bool) -> None:
    """A claim of a settlement date that has passed: reviewed twice and paid (or rejected)."""
    seller_id = claim.created_by_id
    claim = claim_cases.submit_claim(session, session.get(User, seller_id), claim.id)
    if rejected:
        reviews.review_claim(session, operator, claim.id, {
            "decision": "reject", "reason": "部分订单的使用证明与合同约定的服务期不符，请核实后重新提交。"})
        _date_claim(session, claim.id, day, decided=day + dt.timedelta(days=6))
        return
    reviews.review_claim(session, operator, claim.id, {"decision": "approve"})
    reviews.review_claim(session, authority, claim.id, {"decision": "approve"})
    paid_on = min(day + dt.timedelta(days=18), today - dt.timedelta(days=1))
    if recent:
        paid_on = max(day + dt.timedelta(days=1), today - dt.timedelta(days=2))
    decided = min(day + dt.timedelta(days=6), paid_on)
    _date_claim(session, claim.id, day, decided=decided)   # a payment is never dated before its approval
    reviews.disburse_claim(session, authority, claim.id, {"reference": f"GZCZ-{YEAR}-{claim.id:05d}",
                                                              "paid_on": paid_on.isoformat()})
    _date_claim(session, claim.id, day, decided=decided, paid=paid_on)


def _current_claim(session: Session, claim: Claim, key: str, operator: User, authority: User) -> None:
    """A claim for the coming settlement date, at a different step for each provider."""
    seller = session.get(User, claim.created_by_id)
    if key == "zhudata":
        return                                                   # still a draft
    claim = claim_cases.submit_claim(session, seller, claim.id)
    if key == "qianyun":
        return
    if key == "yunshang" and len(claim.live_items) > 1:
        reviews.exclude_order(session, operator, claim.id, claim.live_items[-1].order_id,
                                  {"reason": "该订单的发票金额与订单金额不一致，请更正后另行申请。"})
    reviews.review_claim(session, operator, claim.id, {"decision": "approve"})
    if key == "hangtian":
        reviews.review_claim(session, authority, claim.id, {"decision": "approve"})


def _date_claim(session: Session, claim_id: int, day: dt.date, *, decided: dt.date, paid: dt.date | None = None) -> None:
    claim = session.get(Claim, claim_id)
    claim.settlement_date = day
    claim.created_at = _at(day - dt.timedelta(days=9), 10)
    claim.submitted_at = _at(day - dt.timedelta(days=7), 15)
    if claim.operator_decided_at:
        claim.operator_decided_at = _at(decided - dt.timedelta(days=3), 11)
    if claim.authority_decided_at:
        claim.authority_decided_at = _at(decided, 16)
    if paid is not None:
        claim.disbursed_at = _at(paid, 14)
        entry = session.scalars(select(NoticeEntry).where(NoticeEntry.kind == NoticeKind.DISBURSEMENT,
                                                          NoticeEntry.subject_id == claim.id)).one_or_none()
        if entry is not None:
            _date_notice(session, entry, paid)
    session.commit()


# -- complaints and objections ------------------------------------------------------------------------------

COMPLAINTS = [
    # (provider, kind, status, subject, description, provider's reply, operator's reply, resolution)
    ("zhudata", "service_quality", "resolved", "云服务器频繁宕机", "订单开通后一周内云服务器三次无法访问，每次持续半小时以上，影响了门店收银系统。",
     "经排查为宿主机硬件故障，已迁移实例并补偿一个月服务期。", "请服务商提供故障报告并确认补偿方式。", "服务商已迁移实例、提交故障报告并补偿一个月服务期，企业确认恢复正常。"),
    ("hangtian", "delivery", "resolved", "专线迟迟未开通", "合同约定 5 个工作日内开通企业专线，已过去 12 天仍未开通，也没有人联系我们。",
     "施工队已于本周进场，预计周五完成开通测试。", "已督促服务商给出开通时间表。", "专线已开通并通过测试，服务商书面致歉。"),
    ("yunshang", "billing", "resolved", "自付部分重复扣款", "同一订单的自付部分在银行卡上被扣了两次。",
     "核实为支付重试导致，重复的款项已原路退回。", None, "重复扣款已退回，企业已收到。"),
    ("zhudata", "service_quality", "in_progress", "数据备份恢复失败", "尝试从备份恢复数据库时连续失败，服务商客服一直让我们等待。",
     "已升级到二线技术支持，正在分析备份文件。", "运营方已介入，要求服务商在 3 个工作日内给出结论。", None),
    ("qianyun", "other", "in_progress", "发票信息有误", "服务商开具的发票抬头与我司名称不一致，无法入账。",
     None, "已联系服务商重新开具发票，请企业留意邮寄信息。", None),
    ("hangtian", "service_quality", "in_progress", "平台响应速度慢", "工业物联网平台高峰时段接口响应超过 5 秒，达不到合同约定的服务水平。",
     "我们正在扩容接入节点，下周完成。", None, None),
    ("yunshang", "delivery", "open", "账号未按时交付", "下单已确认，但一直没有收到平台账号和使用说明。",
     "已重新发送开通邮件，请查收垃圾邮件箱。", None, None),
    ("qianyun", "service_quality", "open", "带宽达不到约定值", "弹性公网 IP 的实测带宽只有约定的一半左右。", None, None, None),
    ("zhudata", "billing", "open", "退款未到账", "服务商同意退款已经一周，自付部分仍未退回。", None, None, None),
]


def _seed_complaints(session: Session, rng: random.Random, today: dt.date) -> None:
    if session.scalar(select(func.count()).select_from(Complaint)):
        return
    operator = demo_user(session, "operator@yunquan.example")
    used: set[int] = set()
    for _number, (provider_key, kind, status, subject, description, provider_reply, operator_reply, resolution) in \
            enumerate(COMPLAINTS):
        provider = demo_org(session, provider_key)
        seller = demo_user(session, PROVIDER_EMAILS[provider_key])
        # older orders for the resolved complaints, recent ones for the open ones
        window = {"resolved": (120, 30), "in_progress": (45, 8), "open": (20, 2)}[status]
        conditions = [CheckoutAttempt.key.like(BULK_KEY + "%"), Order.provider_id == provider.id,
                      Order.status != OrderStatus.CANCELLED,
                      Order.placed_at < clock.china_midnight(today - dt.timedelta(days=window[1]))]
        if used:
            conditions.append(Order.id.not_in(used))
        order = session.scalars(select(Order).join(CheckoutAttempt, CheckoutAttempt.id == Order.attempt_id)
                                .where(*conditions).order_by(Order.placed_at.desc()).limit(1)).first()
        if order is None:
            continue
        used.add(order.id)
        buyer = session.get(Organisation, order.enterprise_id).members[0]
        try:
            complaint = services.file_complaint(session, buyer, {"order_id": order.id, "kind": kind, "subject": subject,
                                                                 "description": description})
            filed = max(order.placed_at + dt.timedelta(days=2, hours=rng.randint(0, 20)),
                        clock.china_midnight(today - dt.timedelta(days=window[0])))
            filed = min(filed, clock.now() - dt.timedelta(hours=30))
            moments = _moments(rng, filed, provider_key)
            replies: list[tuple[ComplaintReply, dt.datetime]] = []
            if status != "open" or provider_reply:
                if provider_reply:
                    replies.append((services.reply_to_complaint(session, seller, complaint.id, {"body": provider_reply}),
                                    moments["provider"]))
            if status in ("in_progress", "resolved"):
                services.take_up_complaint(session, operator, complaint.id)
                if operator_reply:
                    replies.append((services.reply_to_complaint(session, operator, complaint.id, {"body": operator_reply}),
                                    moments["operator"]))
            if status == "resolved":
                replies.append((services.reply_to_complaint(session, buyer, complaint.id,
                                                            {"body": "问题已解决，谢谢。"}), moments["thanks"]))
                services.resolve_complaint(session, operator, complaint.id, {"resolution": resolution})
            _date_complaint(session, complaint.id, filed, moments, replies)
        except DomainError as error:
            session.rollback()
            print(f"demo complaint skipped: {error.detail}", file=sys.stderr)
    # the demo enterprise's own complaint, about its first order (when the payment mock made one)
    tea = demo_org(session, "guizhou_tea")
    order = session.scalars(select(Order).where(Order.enterprise_id == tea.id).order_by(Order.id).limit(1)).first()
    if order is not None and not session.scalar(select(exists().where(Complaint.order_id == order.id))):
        services.file_complaint(session, tea.members[0], {
            "order_id": order.id, "kind": "delivery", "subject": "开通进度请服务商说明",
            "description": "订单已下单两天，服务商还没有确认，也没有告知开通时间，请运营方协助催办。"})


def _moments(rng: random.Random, filed: dt.datetime, provider_key: str) -> dict[str, dt.datetime]:
    speed = {"qianyun": 4, "yunshang": 10, "zhudata": 30, "hangtian": 20}[provider_key]
    provider = filed + dt.timedelta(hours=rng.randint(1, speed))
    operator = filed + dt.timedelta(hours=rng.randint(2, 26))
    thanks = max(provider, operator) + dt.timedelta(days=rng.randint(2, 9))
    return {"provider": provider, "operator": operator, "thanks": thanks,
            "taken_up": filed + dt.timedelta(hours=rng.randint(1, 24)), "resolved": thanks + dt.timedelta(hours=3)}


def _date_complaint(session: Session, complaint_id: int, filed: dt.datetime, moments: dict[str, dt.datetime],
                    replies: list[tuple[ComplaintReply, dt.datetime]]) -> None:
    complaint = session.get(Complaint, complaint_id)
    complaint.filed_at = filed
    for reply, at in replies:
        session.get(ComplaintReply, reply.id).created_at = at
    responses = [at for reply, at in replies if reply.party != "enterprise"]
    if complaint.taken_up_at is not None:
        complaint.taken_up_at = moments["taken_up"]
        responses.append(moments["taken_up"])
    complaint.first_response_at = min(responses) if responses else None
    if complaint.resolved_at is not None:
        complaint.resolved_at = moments["resolved"]
    session.commit()


def _seed_objections(session: Session, today: dt.date) -> None:
    if session.scalar(select(func.count()).select_from(NoticeObjection)):
        return
    in_notice = list(session.scalars(select(NoticeEntry).where(
        NoticeEntry.published_on <= today, NoticeEntry.notice_ends_on >= today).order_by(NoticeEntry.id)))
    grant = next((e for e in in_notice if e.kind == NoticeKind.QUOTA_GRANT), None)
    payment = next((e for e in in_notice if e.kind == NoticeKind.DISBURSEMENT), None)
    operator = demo_user(session, "operator@yunquan.example")
    if grant is not None:
        objection = services.lodge_objection(session, demo_user(session, "anshun@yunquan.example"), grant.id, {
            "reason": "据了解该企业与其选用的云服务商存在股权关联，请核实是否符合申领条件。"})
        services.answer_objection(session, operator, objection.id, {
            "answer": "经核查，该企业与服务商之间无隶属、共建或产权关系，符合申领条件，维持发放。"})
    if payment is not None or grant is not None:
        target = payment or grant
        services.lodge_objection(session, demo_user(session, "bijie@yunquan.example"), target.id, {
            "reason": "请公开该笔拨付所对应订单的服务期和验收情况，便于社会监督。"})
