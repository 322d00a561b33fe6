"""The demo's organisations and staff (``seed.register``ed by ``orgs.init_app``): certified providers
and enterprises, one young enterprise not yet eligible, one waiting in the certification queue.
Other areas' demo data find them with ``demo_org`` and ``demo_user``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from orgs.models import CertificationSubmission, Organisation
from orgs.states import OrgKind, OrgStatus
from shop import clock
from shop.accounts import User
from shop.audit import record
from shop.auth import hash_password
from shop.seed import DEMO_PASSWORD
from shop.states import Role


def make_uscc(body17: str) -> str:
    """A valid code from its first 17 characters (the check character computed by python-stdnum)."""
    return body17 + stdnum_uscc.calc_check_digit(body17)


@dataclass(frozen=True)
class DemoOrg:
    key: str
    kind: OrgKind
    uscc17: str
    name: str
    region_code: str
    established_on: dt.date
    legal_representative: str
    contact_name: str
    email: str
    status: OrgStatus = OrgStatus.CERTIFIED
    region_note: str | None = None  # why the region is not the credit code's division


# role, e-mail, name and jurisdiction (None: the whole platform; 5201: Guiyang only)
DEMO_STAFF = [
    (Role.OPERATOR, "operator@yunquan.example", "云上贵州运营中心 王敏", None),
    (Role.AUTHORITY, "authority@yunquan.example", "省大数据局 李静", None),
    (Role.FINANCE, "finance@yunquan.example", "省财政厅 赵磊", None),  # records the payments (拨付申请)
    (Role.OPERATOR, "guiyang-operator@yunquan.example", "贵阳市大数据局 周丽", "5201"),
    # the Baiyun district programme beside Guizhou's (issue 13): its own authority and operator
    (Role.AUTHORITY, "baiyun-authority@yunquan.example", "白云区科工商信局 黄伟", "440111"),
    (Role.OPERATOR, "baiyun-operator@yunquan.example", "白云区服务券运营公司 梁敏", "440111"),
    (Role.FINANCE, "baiyun-finance@yunquan.example", "白云区财政局 陈芳", "440111"),
    # the Linyi contract-voucher programme (issue 14, orders/demo_linyi.py): the county's first review
    # (第十条, 兰山区), the city's authority and finance bureau (临沂市)
    (Role.OPERATOR, "linyi-county@yunquan.example", "兰山区工业和信息化局 王磊", "371302"),
    (Role.AUTHORITY, "linyi-authority@yunquan.example", "临沂市工业和信息化局 张敏", "3713"),
    (Role.FINANCE, "linyi-finance@yunquan.example", "临沂市财政局 刘洋", "3713"),
]

# one login per role, as ``make run`` prints them (``shop.seed.demo_logins``)
DEMO_LOGINS = [
    ("operator", "operator@yunquan.example"),
    ("authority", "authority@yunquan.example"),
    ("finance", "finance@yunquan.example"),
    ("provider", "provider@yunquan.example"),
    ("enterprise", "enterprise@yunquan.example"),
]

DEMO_ORGS = [
    DemoOrg(
        "qianyun",
        OrgKind.PROVIDER,
        "91520115MA6DK0001",
        "贵州黔云科技有限公司",
        "520115",
        dt.date(2014, 3, 18),
        "陈建国",
        "刘洋",
        "provider@yunquan.example",
    ),
    DemoOrg(
        "yunshang",
        OrgKind.PROVIDER,
        "91520115MA6DK0002",
        "云上贵州大数据产业发展有限公司",
        "520115",
        dt.date(2014, 11, 6),
        "张伟",
        "赵倩",
        "yunshang@yunquan.example",
    ),
    DemoOrg(
        "zhudata",
        OrgKind.PROVIDER,
        "91520302MA6DK0003",
        "遵义筑数信息技术有限公司",
        "520302",
        dt.date(2016, 7, 1),
        "杨帆",
        "周琳",
        "zhudata@yunquan.example",
    ),
    DemoOrg(
        "hangtian",
        OrgKind.PROVIDER,
        "91110108MA0DK0004",
        "北京航天云网络科技有限公司",
        "110108",
        dt.date(2015, 5, 20),
        "孙浩",
        "吴迪",
        "hangtian@yunquan.example",
    ),
    DemoOrg(
        "guizhou_tea",
        OrgKind.ENTERPRISE,
        "91520100MA6EN0001",
        "贵州湄潭绿茶制造有限公司",
        "520328",
        dt.date(2012, 4, 10),
        "何明",
        "何小兰",
        "enterprise@yunquan.example",
        # registered in Guiyang (520100), now in Meitan county: certified with a note saying why
        region_note="2019 年由贵阳市迁至湄潭县茶叶产业园，营业执照登记机关未变更",
    ),
    DemoOrg(
        "anshun_parts",
        OrgKind.ENTERPRISE,
        "91520402MA6EN0002",
        "安顺精工汽车零部件有限公司",
        "520402",
        dt.date(2017, 9, 22),
        "郭强",
        "邓敏",
        "anshun@yunquan.example",
    ),
    DemoOrg(
        "bijie_agri",
        OrgKind.ENTERPRISE,
        "91520502MA6EN0003",
        "毕节高原农产品电商有限公司",
        "520502",
        dt.date(2019, 2, 14),
        "罗成",
        "罗佳",
        "bijie@yunquan.example",
    ),
    DemoOrg(
        "liupanshui_mining",
        OrgKind.ENTERPRISE,
        "91520201MA6EN0004",
        "六盘水智慧矿山装备有限公司",
        "520201",
        dt.date(2015, 6, 30),
        "钱宇",
        "钱芳",
        "liupanshui@yunquan.example",
    ),
    # founded less than a year before the demo date: certified, but not yet eligible for vouchers
    DemoOrg(
        "qiannan_startup",
        OrgKind.ENTERPRISE,
        "91522701MA6EN0005",
        "黔南数智农业初创有限公司",
        "522701",
        dt.date(2026, 5, 8),
        "蒙丽",
        "蒙杰",
        "startup@yunquan.example",
    ),
    # waiting in the operator's certification queue
    DemoOrg(
        "tongren_textile",
        OrgKind.ENTERPRISE,
        "91520602MA6EN0006",
        "铜仁苗绣纺织品有限公司",
        "520602",
        dt.date(2013, 8, 3),
        "龙秀英",
        "龙飞",
        "tongren@yunquan.example",
        OrgStatus.UNDER_REVIEW,
    ),
    # an enterprise of Guangzhou's Baiyun district, in the Baiyun programme (wallet/demo_baiyun.py)
    DemoOrg(
        "baiyun_maker",
        OrgKind.ENTERPRISE,
        "91440111MA5BY0001",
        "广州白云智造科技有限公司",
        "440111",
        dt.date(2016, 9, 12),
        "黄志强",
        "何敏",
        "baiyun@yunquan.example",
    ),
    # the Linyi programme (orders/demo_linyi.py): a provider and two enterprises of 兰山区, one with an
    # issued contract voucher, one with an order waiting for its application
    DemoOrg(
        "yimeng_cloud",
        OrgKind.PROVIDER,
        "91371302MA3LY0001",
        "临沂沂蒙云数据科技有限公司",
        "371302",
        dt.date(2015, 4, 16),
        "孔德华",
        "颜丽",
        "yimeng@yunquan.example",
    ),
    DemoOrg(
        "linyi_machinery",
        OrgKind.ENTERPRISE,
        "91371302MA3LY0002",
        "临沂兰山精密机械有限公司",
        "371302",
        dt.date(2011, 8, 25),
        "王建军",
        "王晓燕",
        "linyi@yunquan.example",
    ),
    DemoOrg(
        "lanshan_food",
        OrgKind.ENTERPRISE,
        "91371302MA3LY0003",
        "临沂蒙山食品有限公司",
        "371302",
        dt.date(2014, 10, 9),
        "刘振华",
        "刘静",
        "lanshan@yunquan.example",
    ),
]


def demo_org(session: Session, key: str) -> Organisation:
    """By its e-mail address, which stays when a demo credit code is corrected."""
    spec = next(o for o in DEMO_ORGS if o.key == key)
    return session.scalars(select(Organisation).where(Organisation.email == spec.email)).one()


def demo_user(session: Session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


def seed_organisations(session: Session) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    for role, email, name, jurisdiction in DEMO_STAFF:
        if session.scalars(select(User.id).where(User.email == email)).first() is None:
            session.add(User(email=email, password_hash=password_hash, role=role, name=name, jurisdiction=jurisdiction))
    session.flush()
    operator = demo_user(session, "operator@yunquan.example")
    for spec in DEMO_ORGS:
        code = make_uscc(spec.uscc17)
        if session.scalars(select(Organisation.id).where(Organisation.email == spec.email)).first() is not None:
            continue
        org = Organisation(
            kind=spec.kind,
            uscc=code,
            name=spec.name,
            region_code=spec.region_code,
            established_on=spec.established_on,
            legal_representative=spec.legal_representative,
            contact_name=spec.contact_name,
            contact_phone="0851-8888" + spec.uscc17[-4:],
            email=spec.email,
            status=spec.status,
            region_note=spec.region_note,
        )
        user = User(
            email=spec.email,
            password_hash=password_hash,
            role=Role(spec.kind.value),
            name=spec.contact_name,
            organisation=org,
        )
        session.add_all([org, user])
        session.flush()
        record(session, user, "organisation", org.id, "register", None, {"status": "pending_certification"})
        submission = CertificationSubmission(organisation_id=org.id, submitted_by_id=user.id, submitted_at=clock.now())
        session.add(submission)
        if spec.status == OrgStatus.CERTIFIED:
            org.certified_at = clock.now()
            submission.decision, submission.decided_by_id, submission.decided_at = "approve", operator.id, clock.now()
            record(
                session,
                operator,
                "organisation",
                org.id,
                "approve",
                {"status": "under_review"},
                {"status": "certified", "note": "demo data"}
                | ({"region_note": spec.region_note} if spec.region_note else {}),
            )
