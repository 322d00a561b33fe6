"""The demo catalogue's products on sale in the application layer (production, R&D and design, other
applications), for ``catalog.demo``; what a demo product is and the other layers' are
``catalog.demo_products``."""

from __future__ import annotations

from catalog.demo_products import ALIYUN, HUAWEI, TENCENT, DemoProduct, y
from shop.policy import Category

C = Category
APPLICATION = [
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
