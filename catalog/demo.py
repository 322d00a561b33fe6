"""Demo products for ``seed-demo``: a living catalogue across all eleven categories from the four demo
providers, plus a few in the review queues (one a revision of a published product, to show the
difference), one rejected and one draft. Idempotent: a product whose name its provider already has
is left alone. Everything goes through the use cases, so the audit trail tells the same story."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import services
from catalog.listing import ListingInput
from catalog.models import Product, ProductVersion
from catalog.states import ProductStatus
from orgs.demo import demo_org, demo_user
from shop import policy
from shop.inputs import Decision
from shop.policy import Category

PROVIDER_EMAILS = {
    "qianyun": "provider@yunquan.example",
    "yunshang": "yunshang@yunquan.example",
    "zhudata": "zhudata@yunquan.example",
    "hangtian": "hangtian@yunquan.example",
}
ALIYUN = "https://www.aliyun.com/price/product"
TENCENT = "https://cloud.tencent.com/pricing"
HUAWEI = "https://www.huaweicloud.com/pricing.html"


@dataclass(frozen=True)
class DemoProduct:
    provider: str
    category: Category
    name: str
    unit: str
    price: int  # fen
    market: int  # fen
    evidence: str
    description: str
    accepts_vouchers: bool = True


def y(yuan: int | float) -> int:
    """Whole or half yuan in the table below → fen (integers only from here on)."""
    return int(round(yuan * 100))


C = Category
PUBLISHED = [
    DemoProduct(
        "yunshang",
        C.COMPUTE,
        "云服务器 ECS 通用型 2核4G 按月",
        "月",
        y(189),
        y(219),
        ALIYUN,
        "通用型云服务器，2 核 vCPU、4 GiB 内存，40 GB 高效云盘系统盘，1 Mbps 公网带宽。\n\n"
        "适合企业官网、中小型业务系统和开发测试环境。机房位于贵安新区，提供 99.975% 的可用性承诺，"
        "7×24 小时工单支持。",
    ),
    DemoProduct(
        "qianyun",
        C.COMPUTE,
        "云服务器 ECS 计算型 8核16G 按月",
        "月",
        y(980),
        y(1150),
        HUAWEI,
        "计算型实例，8 核 vCPU、16 GiB 内存，适合 Web 前端集群、批量计算和视频编解码。\n\n"
        "- 支持按月续费与弹性升降配\n- 默认开启主机安全基础防护\n- 贵阳本地机房，时延低于 5 ms",
    ),
    DemoProduct(
        "hangtian",
        C.COMPUTE,
        "GPU 云服务器 T4 单卡 按月",
        "月",
        y(3600),
        y(4200),
        TENCENT,
        "搭载 NVIDIA T4 GPU 一块、16 核 vCPU、64 GiB 内存，适合 AI 推理、图像识别与视频分析。\n\n"
        "预装 CUDA 与常用深度学习框架镜像，开箱即用。",
    ),
    DemoProduct(
        "zhudata",
        C.COMPUTE,
        "弹性裸金属服务器 32核128G",
        "月",
        y(5800),
        y(6500),
        ALIYUN,
        "物理机级别的独享性能，同时具备云服务器的弹性与运维便利，适合数据库、大数据及对性能隔离有要求的核心业务。",
    ),
    DemoProduct(
        "yunshang",
        C.STORAGE,
        "对象存储 OSS 标准型 1TB/年",
        "年",
        y(1188),
        y(1428),
        ALIYUN,
        "标准型对象存储容量包，1 TB 存储空间，一年有效。\n\n"
        "数据多副本冗余存储，设计持久性 99.9999999999%，适合图片、视频、备份归档等海量非结构化数据。",
    ),
    DemoProduct(
        "qianyun",
        C.STORAGE,
        "云硬盘 SSD 500GB 按月",
        "月",
        y(350),
        y(400),
        HUAWEI,
        "SSD 云硬盘 500 GB，单盘最高 20,000 IOPS，适合数据库与高负载业务，可随时扩容和创建快照。",
    ),
    DemoProduct(
        "zhudata",
        C.STORAGE,
        "数据备份与容灾服务 基础版",
        "年",
        y(9800),
        y(12000),
        TENCENT,
        "提供服务器、数据库与文件的定时备份和异地容灾演练。\n\n"
        "- 每日增量、每周全量备份\n- 备份数据异地存放于遵义数据中心\n- 每年两次容灾演练报告",
    ),
    DemoProduct(
        "yunshang",
        C.NETWORK,
        "负载均衡 SLB 性能保障型",
        "月",
        y(260),
        y(300),
        ALIYUN,
        "四层与七层负载均衡，支持 HTTPS 卸载、会话保持和健康检查，为多台云服务器分发流量。",
    ),
    DemoProduct(
        "qianyun",
        C.NETWORK,
        "弹性公网 IP 10Mbps 固定带宽",
        "月",
        y(680),
        y(800),
        HUAWEI,
        "独立公网 IPv4 地址，10 Mbps 固定带宽，BGP 多线接入，可随时绑定或解绑云服务器。",
    ),
    DemoProduct(
        "hangtian",
        C.NETWORK,
        "企业专线接入 100M（贵阳）",
        "月",
        y(4500),
        y(5000),
        TENCENT,
        "企业园区到云上数据中心的 100 Mbps 点对点专线，含上门勘察与开通，提供 SLA 保障。",
    ),
    DemoProduct(
        "zhudata",
        C.NETWORK,
        "内容分发网络 CDN 流量包 10TB",
        "套",
        y(1600),
        y(1800),
        ALIYUN,
        "10 TB 国内 CDN 下行流量包，一年内有效，节点覆盖全国主要省份，适合网站加速与文件下载。",
    ),
    DemoProduct(
        "zhudata",
        C.SECURITY,
        "等保2.0 安全加固服务（二级）",
        "次",
        y(28000),
        y(35000),
        TENCENT,
        "面向网络安全等级保护 2.0 二级要求的一站式服务：差距分析、整改加固、制度文档与测评陪同。\n\n"
        "服务周期约 6 周，交付整改报告与安全管理制度汇编。",
    ),
    DemoProduct(
        "qianyun",
        C.SECURITY,
        "Web 应用防火墙 WAF 标准版",
        "月",
        y(1980),
        y(2300),
        HUAWEI,
        "防护 SQL 注入、跨站脚本、恶意爬虫和 CC 攻击，支持 10 个域名，提供攻击日志与周报。",
    ),
    DemoProduct(
        "hangtian",
        C.SECURITY,
        "云安全中心 主机防护 10台",
        "年",
        y(4800),
        y(5600),
        ALIYUN,
        "10 台主机的漏洞扫描、基线检查、入侵检测与病毒查杀，一年服务期。",
    ),
    DemoProduct(
        "yunshang",
        C.SECURITY,
        "DDoS 高防 基础防护",
        "月",
        y(2600),
        y(3000),
        TENCENT,
        "20 Gbps 保底防护能力，弹性防护可达 100 Gbps，适合游戏、电商和政务门户。",
    ),
    DemoProduct(
        "yunshang",
        C.DATABASE,
        "云数据库 MySQL 高可用版 4核8G",
        "月",
        y(1260),
        y(1480),
        ALIYUN,
        "MySQL 8.0 主备高可用实例，4 核 8 GB，200 GB SSD 存储。\n\n"
        "自动备份保留 7 天，支持按时间点恢复、读写分离和慢查询分析。",
    ),
    DemoProduct(
        "qianyun",
        C.DATABASE,
        "云数据库 Redis 标准版 8GB",
        "月",
        y(520),
        y(600),
        HUAWEI,
        "Redis 6.0 主从版，8 GB 内存，适合缓存、会话存储和排行榜等高并发场景。",
    ),
    DemoProduct(
        "hangtian",
        C.DATABASE,
        "云数据库 PostgreSQL 高可用版 2核4G",
        "月",
        y(690),
        y(800),
        TENCENT,
        "PostgreSQL 15 主备实例，2 核 4 GB，100 GB 存储，支持 PostGIS 插件。",
    ),
    DemoProduct(
        "zhudata",
        C.BIG_DATA,
        "大数据计算服务 按量资源包",
        "套",
        y(5000),
        y(5800),
        ALIYUN,
        "离线数据仓库计算资源包，含 10,000 CU 时计算与 5 TB 存储，适合日志分析与经营报表。",
    ),
    DemoProduct(
        "yunshang",
        C.BIG_DATA,
        "政企数据中台 基础版",
        "年",
        y(68000),
        y(80000),
        ALIYUN,
        "数据汇聚、治理、资产目录与数据服务一体化平台，含实施培训 10 人天。",
    ),
    DemoProduct(
        "qianyun",
        C.BIG_DATA,
        "商业智能 BI 报表服务 10用户",
        "年",
        y(6800),
        y(8000),
        TENCENT,
        "拖拽式自助分析与可视化大屏，10 个分析用户，支持连接 MySQL、Excel 与数据仓库。",
    ),
    DemoProduct(
        "hangtian",
        C.IOT,
        "工业物联网平台 设备接入 1000台",
        "年",
        y(12000),
        y(15000),
        HUAWEI,
        "支持 Modbus、OPC UA、MQTT 等协议的设备接入与数据采集，1000 台设备一年授权，含设备影子与规则引擎。",
    ),
    DemoProduct(
        "zhudata",
        C.IOT,
        "智慧农业物联网监测套件",
        "套",
        y(8800),
        y(9600),
        TENCENT,
        "茶园、果园环境监测方案：温湿度、土壤墒情与虫情监测设备接入云平台，手机查看与预警。",
    ),
    DemoProduct(
        "yunshang",
        C.IOT,
        "物联网设备管理平台 标准版",
        "年",
        y(9600),
        y(11000),
        ALIYUN,
        "设备注册、远程配置、OTA 升级与告警管理，支持 5000 台设备在线。",
    ),
    DemoProduct(
        "qianyun",
        C.DEVOPS,
        "DevOps 研发协同平台 20用户",
        "年",
        y(7200),
        y(8400),
        ALIYUN,
        "需求、代码、构建、测试与发布全流程管理，20 个用户一年授权，含代码仓库 100 GB。",
    ),
    DemoProduct(
        "hangtian",
        C.DEVOPS,
        "容器服务 Kubernetes 托管版",
        "月",
        y(1500),
        y(1800),
        TENCENT,
        "托管 Kubernetes 控制面，免运维高可用，集成镜像仓库、日志与监控。",
    ),
    DemoProduct(
        "zhudata",
        C.DEVOPS,
        "代码托管与持续集成服务",
        "用户·年",
        y(360),
        y(420),
        HUAWEI,
        "Git 代码托管、代码评审与持续集成流水线，按用户每年计费。",
    ),
    DemoProduct(
        "hangtian",
        C.PRODUCTION,
        "工业互联网 MES 制造执行系统 云版",
        "年",
        y(48000),
        y(56000),
        HUAWEI,
        "生产计划、工单报工、质量追溯与设备管理，适合离散制造企业，含实施服务 20 人天。\n\n"
        "已在贵州多家汽车零部件与装备制造企业上线。",
    ),
    DemoProduct(
        "zhudata",
        C.PRODUCTION,
        "茶叶加工生产管理系统",
        "年",
        y(18000),
        y(21000),
        TENCENT,
        "面向茶叶加工企业：鲜叶收购、加工工序、批次追溯与仓储管理，一物一码对接溯源平台。",
    ),
    DemoProduct(
        "qianyun",
        C.PRODUCTION,
        "智能排产 APS 云服务",
        "年",
        y(26000),
        y(30000),
        ALIYUN,
        "基于订单、产能与物料约束的自动排产，支持插单模拟与甘特图调整。",
    ),
    DemoProduct(
        "hangtian",
        C.RND_DESIGN,
        "云端 CAD 协同设计 5用户",
        "年",
        y(15000),
        y(18000),
        HUAWEI,
        "浏览器中完成三维建模与图纸协同，5 个设计用户一年授权，含 1 TB 设计文件存储。",
    ),
    DemoProduct(
        "yunshang",
        C.RND_DESIGN,
        "仿真计算 CAE 云平台 核时包",
        "套",
        y(9000),
        y(10000),
        ALIYUN,
        "结构、流体与电磁仿真的高性能计算资源，含 50,000 核时，一年有效。",
    ),
    DemoProduct(
        "zhudata",
        C.RND_DESIGN,
        "产品生命周期管理 PLM 云版",
        "年",
        y(22000),
        y(26000),
        TENCENT,
        "物料清单、设计变更与图文档管理，与 CAD 及 ERP 集成。",
    ),
    DemoProduct(
        "qianyun",
        C.OTHER_APPS,
        "企业邮箱 50用户",
        "年",
        y(3000),
        y(3500),
        TENCENT,
        "以企业域名收发邮件，50 个账号，每个 50 GB 邮箱空间，支持手机客户端与反垃圾。",
    ),
    DemoProduct(
        "yunshang",
        C.OTHER_APPS,
        "财务云 记账与报税服务",
        "年",
        y(2400),
        y(2880),
        ALIYUN,
        "小微企业在线记账、发票管理与纳税申报，含专属会计顾问服务。",
    ),
    DemoProduct(
        "zhudata",
        C.OTHER_APPS,
        "云客服与呼叫中心 10坐席",
        "年",
        y(12800),
        y(15000),
        HUAWEI,
        "在线客服、电话呼叫与工单一体化，10 个坐席，通话录音保存一年。",
    ),
    DemoProduct(
        "hangtian",
        C.OTHER_APPS,
        "协同办公 OA 云平台 100用户",
        "年",
        y(9900),
        y(12000),
        TENCENT,
        "审批流程、公文管理、考勤与移动办公，100 个用户一年授权。",
        accepts_vouchers=False,
    ),
]

IN_REVIEW = [  # (product, how far it goes)
    (
        DemoProduct(
            "qianyun",
            C.COMPUTE,
            "云服务器 ECS 内存型 4核32G 按月",
            "月",
            y(1380),
            y(1560),
            HUAWEI,
            "内存型实例，4 核 vCPU、32 GiB 内存，适合 Redis、内存数据库和大数据缓存场景。",
        ),
        "submitted",
    ),
    (
        DemoProduct(
            "zhudata",
            C.SECURITY,
            "数据库审计服务 标准版",
            "年",
            y(16800),
            y(19800),
            ALIYUN,
            "记录并分析数据库的全部访问行为，发现违规操作与 SQL 注入，满足等保审计要求。",
        ),
        "operator_approved",
    ),
    (
        DemoProduct(
            "hangtian",
            C.OTHER_APPS,
            "区块链存证服务",
            "年",
            y(20000),
            y(22000),
            "https://example.com/quote",
            "电子合同与数据的区块链存证，出具存证证明。",
        ),
        "rejected",
    ),
    (
        DemoProduct(
            "qianyun",
            C.OTHER_APPS,
            "云桌面 办公版 10用户",
            "月",
            y(1200),
            y(1350),
            HUAWEI,
            "10 个云桌面，2 核 4 GB，Windows 办公环境，随时随地安全接入。",
        ),
        "draft",
    ),
]

# A published product's change waiting for the operator: the diff reviewers see.
REVISION = (
    "yunshang",
    "对象存储 OSS 标准型 1TB/年",
    {
        "price_fen": y(1099),
        "description": "标准型对象存储容量包，1 TB 存储空间，一年有效。\n\n"
        "数据多副本冗余存储，设计持久性 99.9999999999%，适合图片、视频、备份归档等海量非结构化数据。\n\n"
        "新增：赠送 100 GB 外网下行流量，支持跨区域复制到贵安灾备中心。",
    },
)


def _existing(session: Session, provider_id: int, name: str) -> Product | None:
    return session.scalars(
        select(Product)
        .join(ProductVersion, ProductVersion.product_id == Product.id)
        .where(Product.provider_id == provider_id, ProductVersion.name == name)
    ).first()


def _create(session: Session, spec: DemoProduct) -> Product | None:
    org = demo_org(session, spec.provider)
    if _existing(session, org.id, spec.name) is not None:
        return None
    user = demo_user(session, PROVIDER_EMAILS[spec.provider])
    return services.create_product(
        session,
        user,
        ListingInput.from_input(
            {
                "layer": policy.current().layer_of(spec.category).value,
                "category": spec.category.value,
                "name": spec.name,
                "description": spec.description,
                "unit": spec.unit,
                "price_fen": spec.price,
                "market_price_fen": spec.market,
                "market_price_evidence": spec.evidence,
                "accepts_vouchers": spec.accepts_vouchers,
            }
        ),
    )


def seed_catalogue(session: Session) -> None:
    operator = demo_user(session, "operator@yunquan.example")
    authority = demo_user(session, "authority@yunquan.example")

    def advance(product: Product, spec: DemoProduct, to: str) -> None:
        provider = demo_user(session, PROVIDER_EMAILS[spec.provider])
        if to == "draft":
            return
        services.submit_product(session, provider, product.id)
        if to == "rejected":
            services.review_product(
                session,
                operator,
                product.id,
                Decision(False, "市场价依据的链接打不开，请上传加盖公章的报价单或提供可公开访问的价格页面。"),
            )
            return
        if to == "submitted":
            return
        services.review_product(session, operator, product.id, Decision(True))
        if to == "operator_approved":
            return
        services.review_product(session, authority, product.id, Decision(True))

    for spec in PUBLISHED:
        product = _create(session, spec)
        if product is not None:
            advance(product, spec, "published")
    for spec, to in IN_REVIEW:
        product = _create(session, spec)
        if product is not None:
            advance(product, spec, to)

    key, name, change = REVISION
    org = demo_org(session, key)
    product = _existing(session, org.id, name)
    if product is not None and product.status == ProductStatus.PUBLISHED and not product.has_pending_revision:
        provider = demo_user(session, PROVIDER_EMAILS[key])
        services.edit_product(session, provider, product.id, ListingInput.from_input(change, partial=True))
        services.submit_product(session, provider, product.id)
