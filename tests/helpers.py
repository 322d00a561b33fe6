"""Short helpers to make the things tests need (CTFd style)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

from sqlalchemy.orm import Session

from orgs.demo import make_uscc
from orgs.models import Organisation
from orgs.states import OrgKind, OrgStatus
from shop import clock
from shop.accounts import User
from shop.auth import hash_password, issue_token
from shop.inputs import Decision
from shop.states import Role
from wallet.commands import ProgrammeInput

PASSWORD = "correct-horse-9"
_counter = itertools.count(1)

# The smallest files their types are recognised by.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def unique_uscc(region_code: str = "520102") -> str:
    """A valid credit code registered in ``region_code`` (its characters 3–8), so that the two agree."""
    n = next(_counter)
    division = region_code if len(region_code) == 6 and region_code.isdigit() else "520102"
    return make_uscc(f"91{division}MA{n:07d}")


def make_org(
    session: Session,
    kind: OrgKind | str = OrgKind.ENTERPRISE,
    *,
    status: OrgStatus = OrgStatus.CERTIFIED,
    established_on: dt.date | None = None,
    region_code: str = "520102",
    name: str | None = None,
    email: str | None = None,
    uscc: str | None = None,
) -> Organisation:
    kind = OrgKind(kind)
    n = next(_counter)
    org = Organisation(
        kind=kind,
        uscc=uscc or unique_uscc(region_code),
        name=name or f"测试{'企业' if kind == OrgKind.ENTERPRISE else '云服务商'}{n}有限公司",
        region_code=region_code,
        established_on=established_on or dt.date(2015, 1, 1),
        legal_representative="张三",
        contact_name="李四",
        email=email or f"org{n}@example.com",
        status=status,
        certified_at=clock.now() if status == OrgStatus.CERTIFIED else None,
    )
    user = User(
        email=org.email, password_hash=hash_password(PASSWORD), role=Role(kind.value), name="李四", organisation=org
    )
    session.add_all([org, user])
    session.commit()
    return org


def member(org: Organisation) -> User:
    return org.members[0]


def make_staff(
    session: Session, role: Role | str = Role.OPERATOR, email: str | None = None, *, jurisdiction: str | None = None
) -> User:
    """An operator or authority of the whole platform, or of ``jurisdiction`` (a division code prefix)."""
    user = User(
        email=email or f"{Role(role).value}{next(_counter)}@example.com",
        password_hash=hash_password(PASSWORD),
        role=Role(role),
        jurisdiction=jurisdiction,
    )
    session.add(user)
    session.commit()
    return user


def token_for(session: Session, user: User) -> dict[str, str]:
    token, _ = issue_token(session, user)
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: Any, user: User) -> None:
    with client.session_transaction() as s:
        s["_user_id"] = user.get_id()  # with the user's session version, as signing in stores it
        s["_fresh"] = True


def upload(data: bytes = PNG, name: str = "scan.png") -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def registration(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    data = {
        "kind": "enterprise",
        "uscc": unique_uscc(str(overrides.get("region_code", "520102"))),
        "name": f"贵阳测试科技有限公司{n}",
        "region_code": "520102",
        "established_on": "2018-05-01",
        "legal_representative": "王五",
        "contact_name": "赵六",
        "email": f"reg{n}@example.com",
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


def fresh(session: Session) -> Session:
    """Forget what the test's session has read, to see what requests wrote since."""
    session.rollback()
    session.expire_all()
    return session


def picture_png(width: int = 480, height: int = 320, rgb: tuple[int, int, int] = (214, 234, 248)) -> bytes:
    """A plain PNG of some size (a stand-in for a scanned document in screenshots)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    border = (120, 144, 156)
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            edge = x < 6 or y < 6 or x >= width - 6 or y >= height - 6 or (40 < y < 52 and 40 < x < width - 40)
            row += bytes(border if edge else rgb)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def make_programme(
    session: Session,
    year: int = 2026,
    *,
    budget_fen: int = 1_000_000_00,
    cap_fen: int = 50_000_00,
    ratios: tuple[int, int, int] = (40, 60, 60),
    settlement_dates: tuple[str, ...] = ("2026-06-30", "2026-12-20"),
    opens: str | None = None,
    closes: str | None = None,
) -> Any:
    """A year's programme set by an authority (through the use case, so the budget is funded)."""
    from wallet import programmes as wallet_programmes

    authority = make_staff(session, Role.AUTHORITY)
    data: dict[str, Any] = {
        "year": year,
        "budget_fen": budget_fen,
        "enterprise_cap_fen": cap_fen,
        "ratios": dict(zip(("infrastructure", "platform", "application"), ratios, strict=False)),
        "settlement_dates": [d.replace("2026", str(year)) for d in settlement_dates],
    }
    if opens:
        data["applications_open_on"] = opens
    if closes:
        data["applications_close_on"] = closes
    return wallet_programmes.create_programme(session, authority, ProgrammeInput.from_input(data))


def grant_wallet(session: Session, org: Organisation, year: int = 2026) -> Any:
    """Apply for ``org`` and have an operator grant it; returns the application."""
    from wallet import services as wallet_services

    application = wallet_services.apply_for_quota(session, member(org), year)
    return wallet_services.review_application(
        session, make_staff(session, Role.OPERATOR), application.id, Decision(True)
    )


def make_product(
    session: Session,
    provider: Organisation,
    *,
    price_fen: int = 10_000_00,
    layer: str = "infrastructure",
    category: str = "compute",
    name: str | None = None,
    accepts_vouchers: bool = True,
    unit: str = "月",
) -> Any:
    """A published product of ``provider`` (rows written directly: fast, for tests that need one)."""
    from catalog.models import Product, ProductVersion
    from catalog.states import ProductStatus

    user = member(provider)
    at = clock.now()
    product = Product(
        provider_id=provider.id, status=ProductStatus.PUBLISHED, listed_at=at, created_at=at, updated_at=at
    )
    session.add(product)
    session.flush()
    version = ProductVersion(
        product_id=product.id,
        number=1,
        layer=layer,
        category=category,
        name=name or f"云服务器 {next(_counter)} 型",
        description="测试产品",
        unit=unit,
        price_fen=price_fen,
        market_price_fen=price_fen,
        evidence_url="https://example.com/price",
        accepts_vouchers=accepts_vouchers,
        created_by_id=user.id,
        submitted_at=at,
    )
    session.add(version)
    session.flush()
    product.current_version_id = product.published_version_id = version.id
    session.commit()
    return product


def make_order(
    session: Session,
    enterprise: Organisation,
    provider: Organisation,
    *,
    amount_fen: int = 10_000_00,
    voucher_fen: int | None = None,
    status: str = "confirmed",
    year: int = 2026,
    product: Any = None,
    book: Any = None,
) -> Any:
    """An order with one line, its vouchers held in the ledger (the enterprise needs a granted wallet
    for vouchers; ``book``: the wallet's ``wallet.ledger.Book``, the year's by default). Written
    directly, not through checkout: for tests of what comes after an order."""
    from orders.models import CheckoutAttempt, Order, OrderLine
    from orders.states import AttemptStatus, OrderStatus, PaymentStatus
    from wallet import ledger

    product = product or make_product(session, provider, price_fen=amount_fen)
    version = product.published_version
    voucher = amount_fen * 40 // 100 if voucher_fen is None else voucher_fen
    at = clock.now()
    attempt = CheckoutAttempt(
        key=f"test-{next(_counter)}",
        request_hash="0" * 64,
        enterprise_id=enterprise.id,
        user_id=member(enterprise).id,
        status=AttemptStatus.COMPLETED,
        voucher_year=year,
        voucher_book=book.stored if book else None,
        voucher_fen=voucher,
        self_pay_fen=amount_fen - voucher,
        plan=[],
        intents={},
        agreement_version="2026-01",
        agreement_accepted_at=at,
    )
    session.add(attempt)
    session.flush()
    order = Order(
        attempt_id=attempt.id,
        enterprise_id=enterprise.id,
        provider_id=provider.id,
        status=OrderStatus(status),
        total_fen=amount_fen,
        voucher_fen=voucher,
        self_pay_fen=amount_fen - voucher,
        voucher_year=year,
        voucher_book=book.stored if book else None,
        payment_status=PaymentStatus.CAPTURED if status != "placed" else PaymentStatus.AUTHORISED,
        agreement_version="2026-01",
        agreement_accepted_at=at,
        placed_at=at,
        confirmed_at=at if status != "placed" else None,
    )
    order.lines = [
        OrderLine(
            product_id=product.id,
            version_id=version.id,
            layer=version.layer.value,
            category=version.category.value,
            unit_price_fen=amount_fen,
            quantity=1,
            amount_fen=amount_fen,
            voucher_fen=voucher,
        )
    ]
    session.add(order)
    session.flush()
    if voucher:
        ledger.hold_vouchers(session, book or year, enterprise.id, voucher, ref=("order", order.id), actor_id=None)
    session.commit()
    return order


def make_claim(
    session: Session,
    provider: Organisation,
    orders: list[Any],
    upload_dir: Any,
    *,
    submit: bool = True,
    invoice_number: str | None = None,
) -> Any:
    """A claim of ``orders`` through the use cases, with one document of each kind (and submitted,
    unless ``submit=False``). The programme needs a settlement date on or after today to submit."""
    from claims import documents
    from claims import services as claims
    from claims.commands import ClaimInput, DocumentInput

    user = member(provider)
    claim = claims.create_claim(session, user, ClaimInput.from_input({"order_ids": [o.id for o in orders]}))
    total = sum(o.total_fen for o in orders)
    for kind in ("invoice", "contract", "transfer", "usage"):
        data: dict[str, Any] = {"kind": kind}
        if kind == "invoice":
            data.update(invoice_number=invoice_number or f"5200{next(_counter):08d}", invoice_amount_fen=total)
        documents.add_claim_document(
            session, user, claim.id, DocumentInput.from_input(data), upload(PDF, f"{kind}.pdf"), upload_dir
        )
    if submit:
        claim = claims.submit_claim(session, user, claim.id)
    return claim
