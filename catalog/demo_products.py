"""The demo catalogue's products for ``catalog.demo``: what one is (``DemoProduct``, its prices in fen
through ``y``), the public price pages they cite, and those on sale in the infrastructure and platform
layers (``INFRASTRUCTURE``, ``PLATFORM``); the application layer's are ``catalog.demo_application_layer``."""

from __future__ import annotations

from dataclasses import dataclass

from shop.policy import Category

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
INFRASTRUCTURE = [
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
]
PLATFORM = [
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
]
