"""The presets of the five notices in ``../shared/seeds`` (``../shared/POLICY.md``): a programme starts
from one and the authority overrides what its own notice says otherwise (``shop.presets``).
``docs/policies.md`` lists every rule of each notice with the setting below that carries it.

Amounts are fen (¥1 = 100 fen). Quota-first (Guizhou, Baiyun) and contract-first (Linyi, Liuzhou:
``orders.contract_vouchers``) presets run now; the post-subsidy flow (Guangdong) is listed, ``available``
false, until it runs.
"""

from __future__ import annotations

from shop.i18n import _l
from shop.presets import CapTier, Preset, Reconsideration, Rules, Scheme

YUAN = 100  # fen
WAN = 10_000 * YUAN  # 万元

ALL_LAYERS_40_60_60 = {"infrastructure": 40, "platform": 60, "application": 60}


def _flat(percent: int) -> dict[str, int]:
    return {"infrastructure": percent, "platform": percent, "application": percent}


# 贵州省企业上云云使用券管理办法 (003_…): 第十四条 eligibility, 第十六条 ratios and the ¥50,000 cap,
# validity to 31 December, 第二十三条 evidence, 第二十五条 three working days to answer a query
GUIZHOU = Rules(
    preset="guizhou",
    title="贵州省企业上云云使用券",
    seed="003_47967228bcf3286f.txt",
    min_established_years=1,
    notice_working_days=5,
    claim_evidence=("invoice", "contract", "transfer", "usage"),
    query_working_days=3,
    exit_notice_days=30,
    schemes=(Scheme(key="default", title="云使用券", ratios=ALL_LAYERS_40_60_60, cap_fen=5 * WAN),),
)

# 广州市白云区服务券 (002_…): four voucher types (第十一条), 200万 a year in all (第十二条), first come first
# served (第十三条), expert review with 3 working days to complete, 5 working days of notice before
# issuance and 复核 (第十五条), 30 days unused → reclaimed (第十六条)
BAIYUN = Rules(
    preset="baiyun",
    title="白云区服务券",
    seed="002_04f6b662989e5adb.txt",
    eligible_kinds=("enterprise",),
    yearly_total_fen=200 * WAN,
    unused_reclaim_days=30,
    completion_working_days=3,
    notice_before_grant_working_days=5,
    reconsideration=Reconsideration(request_working_days=5, accept_working_days=5, decide_working_days=15),
    notice_working_days=5,
    ban_years=5,  # 第二十条: "五年内不再给予服务券和政府各类资金支持"
    schemes=(
        Scheme(
            key="dev_cloud",
            title="软件开发云套餐",
            ratios=_flat(100),
            ratio_by_year=(100, 80, 60),
            categories=("devops",),
            # the notice gives no price: these two are the placeholders an authority sets (overrides)
            package_price_fen={"10": 6_000 * YUAN, "50": 25_000 * YUAN},
            package_limits={"sishang": 10, "other": 5},
            required_facts=("packages", "seats", "enterprise_class"),
        ),
        Scheme(
            key="public_cloud",
            title="公有云",
            ratios=_flat(50),
            categories=("compute", "storage", "network", "security", "database", "big_data"),
            cap_fen=10 * WAN,
            cap_tiers=(
                # 新招商重点企业: 10% of the paid-in capital, at most ¥1,000,000 (the 10% is the reviewer's check)
                CapTier(fact="enterprise_class", equals="new_investment", cap_fen=100 * WAN),
                CapTier(fact="last_year_tax_fen", at_least=2_000 * WAN, cap_fen=100 * WAN),
                CapTier(fact="last_year_tax_fen", at_least=500 * WAN, cap_fen=30 * WAN),
            ),
            max_years=3,
            required_facts=("last_year_tax_fen",),
        ),
        Scheme(
            key="software_park",
            title="云上软件园",
            ratios=_flat(80),
            categories=("rnd_design", "other_apps"),
            cap_fen=20 * WAN,
            frequency="once_ever",
        ),
        Scheme(
            key="smart_manufacturing",
            title="智能制造服务",
            ratios=_flat(80),
            categories=("production", "iot"),
            cap_fen=20 * WAN,  # 制造企业诊断服务
            cap_tiers=(CapTier(fact="project", equals="workshop", cap_fen=40 * WAN),),  # 智能车间数字化服务
            frequency="once_ever",
            required_facts=("project",),
        ),
    ),
)

# 临沂市"云服务券"管理办法 (000_…): the voucher is computed from the contract (第十一条), reviewed by the
# county 经信局 (第十条), first come first served while the budget lasts (第四条/第五条 "先到先补、补完为止"),
# once ever per enterprise (第九条), 30% ≤ 5万, 6万 with a 两化融合 certificate (第十四条/第十五条), claims
# every half year (第十三条: the programme's settlement dates 06-30 and 12-31)
LINYI = Rules(
    preset="linyi",
    title="临沂市云服务券",
    seed="000_7f441ee500dd50c6.txt",
    selection="first_come",
    review_working_days=5,
    settlement_days=("06-30", "12-31"),
    schemes=(
        Scheme(
            key="default",
            title="云服务券",
            flow="contract",
            ratios=_flat(30),
            cap_fen=5 * WAN,
            cap_tiers=(CapTier(fact="certificates", equals="lianghua", cap_fen=6 * WAN),),
            frequency="once_ever",
            review_stages=("county",),
        ),
    ),
)
# 柳州市工业企业上云服务券 (001_…): county first review → city review → 5 working days of notice → issued
# (第十三条/第十四条), 择优 and 额满即止, ≤ 50万 per enterprise per year counting what was granted (第十四条),
# 80/50/30% in 2020/2021/2022 (第十六条), valid one year from issuance (第十八条/第十九条), the evidence of
# 第二十条/第二十一条
LIUZHOU = Rules(
    preset="liuzhou",
    title="柳州市工业企业上云服务券",
    seed="001_976eb3291cd5e69b.txt",
    selection="ranked",
    yearly_total_fen=50 * WAN,
    validity_days=365,
    ban_years=3,  # 第二十三条: "三年内不再给予各类工业扶持资金支持"
    review_working_days=5,
    notice_before_grant_working_days=5,
    claim_evidence=(
        "voucher",
        "voucher_application",
        "contract",
        "self_payment",
        "invoice",
        "bank_receipt",
        "completion",
        "project_summary",
    ),
    schemes=(
        Scheme(
            key="default",
            title="上云服务券",
            flow="contract",
            ratio_by_calendar_year={"2020": 80, "2021": 50, "2022": 30},
            cap_fen=50 * WAN,
            review_stages=("county", "city"),
        ),
    ),
)
GUANGDONG = Rules(
    preset="guangdong",
    title="广东省工业企业上云上平台服务券",
    seed="004_1663eccc4291cb3a.txt",
    schemes=(Scheme(key="default", title="上云上平台服务券", flow="post_subsidy"),),
)

PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset("guizhou", _l("Guizhou cloud-use vouchers"), GUIZHOU.seed, GUIZHOU),
        Preset("linyi", _l("Linyi cloud service vouchers"), LINYI.seed, LINYI),
        Preset("liuzhou", _l("Liuzhou cloud service vouchers"), LIUZHOU.seed, LIUZHOU),
        Preset("baiyun", _l("Baiyun district service vouchers"), BAIYUN.seed, BAIYUN),
        Preset("guangdong", _l("Guangdong cloud platform vouchers"), GUANGDONG.seed, GUANGDONG, available=False),
    )
}
