"""Demo complaints and objections (part of ``oversight.demo``): filed, answered, taken up and resolved
through this area's use cases, then dated to the days they happen in the demo's story."""

from __future__ import annotations

import datetime as dt
import random
import sys

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from orders.models import CheckoutAttempt, Order
from orders.states import OrderStatus
from orgs.demo import demo_org, demo_user
from orgs.models import Organisation
from oversight import complaints, notices
from oversight.commands import AnswerInput, ComplaintInput, ObjectionInput, ReplyInput, ResolutionInput
from oversight.demo_cast import BULK_KEY, PROVIDER_EMAILS
from oversight.models import Complaint, ComplaintReply, NoticeEntry, NoticeObjection
from oversight.states import ComplaintKind, NoticeKind
from shop import clock
from shop.errors import DomainError

COMPLAINTS = [
    # (provider, kind, status, subject, description, provider's reply, operator's reply, resolution)
    (
        "zhudata",
        "service_quality",
        "resolved",
        "云服务器频繁宕机",
        "订单开通后一周内云服务器三次无法访问，每次持续半小时以上，影响了门店收银系统。",
        "经排查为宿主机硬件故障，已迁移实例并补偿一个月服务期。",
        "请服务商提供故障报告并确认补偿方式。",
        "服务商已迁移实例、提交故障报告并补偿一个月服务期，企业确认恢复正常。",
    ),
    (
        "hangtian",
        "delivery",
        "resolved",
        "专线迟迟未开通",
        "合同约定 5 个工作日内开通企业专线，已过去 12 天仍未开通，也没有人联系我们。",
        "施工队已于本周进场，预计周五完成开通测试。",
        "已督促服务商给出开通时间表。",
        "专线已开通并通过测试，服务商书面致歉。",
    ),
    (
        "yunshang",
        "billing",
        "resolved",
        "自付部分重复扣款",
        "同一订单的自付部分在银行卡上被扣了两次。",
        "核实为支付重试导致，重复的款项已原路退回。",
        None,
        "重复扣款已退回，企业已收到。",
    ),
    (
        "zhudata",
        "service_quality",
        "in_progress",
        "数据备份恢复失败",
        "尝试从备份恢复数据库时连续失败，服务商客服一直让我们等待。",
        "已升级到二线技术支持，正在分析备份文件。",
        "运营方已介入，要求服务商在 3 个工作日内给出结论。",
        None,
    ),
    (
        "qianyun",
        "other",
        "in_progress",
        "发票信息有误",
        "服务商开具的发票抬头与我司名称不一致，无法入账。",
        None,
        "已联系服务商重新开具发票，请企业留意邮寄信息。",
        None,
    ),
    (
        "hangtian",
        "service_quality",
        "in_progress",
        "平台响应速度慢",
        "工业物联网平台高峰时段接口响应超过 5 秒，达不到合同约定的服务水平。",
        "我们正在扩容接入节点，下周完成。",
        None,
        None,
    ),
    (
        "yunshang",
        "delivery",
        "open",
        "账号未按时交付",
        "下单已确认，但一直没有收到平台账号和使用说明。",
        "已重新发送开通邮件，请查收垃圾邮件箱。",
        None,
        None,
    ),
    (
        "qianyun",
        "service_quality",
        "open",
        "带宽达不到约定值",
        "弹性公网 IP 的实测带宽只有约定的一半左右。",
        None,
        None,
        None,
    ),
    ("zhudata", "billing", "open", "退款未到账", "服务商同意退款已经一周，自付部分仍未退回。", None, None, None),
]


def seed_complaints(session: Session, rng: random.Random, today: dt.date) -> None:
    if session.scalar(select(func.count()).select_from(Complaint)):
        return
    operator = demo_user(session, "operator@yunquan.example")
    used: set[int] = set()
    for _number, (
        provider_key,
        kind,
        status,
        subject,
        description,
        provider_reply,
        operator_reply,
        resolution,
    ) in enumerate(COMPLAINTS):
        provider = demo_org(session, provider_key)
        seller = demo_user(session, PROVIDER_EMAILS[provider_key])
        # older orders for the resolved complaints, recent ones for the open ones
        window = {"resolved": (120, 30), "in_progress": (45, 8), "open": (20, 2)}[status]
        conditions = [
            CheckoutAttempt.key.like(BULK_KEY + "%"),
            Order.provider_id == provider.id,
            Order.status != OrderStatus.CANCELLED,
            Order.placed_at < clock.china_midnight(today - dt.timedelta(days=window[1])),
        ]
        if used:
            conditions.append(Order.id.not_in(used))
        order = session.scalars(
            select(Order)
            .join(CheckoutAttempt, CheckoutAttempt.id == Order.attempt_id)
            .where(*conditions)
            .order_by(Order.placed_at.desc())
            .limit(1)
        ).first()
        if order is None:
            continue
        used.add(order.id)
        buyer = session.get(Organisation, order.enterprise_id).members[0]
        try:
            complaint = complaints.file_complaint(
                session, buyer, ComplaintInput(order.id, ComplaintKind(kind), subject, description)
            )
            filed = max(
                order.placed_at + dt.timedelta(days=2, hours=rng.randint(0, 20)),
                clock.china_midnight(today - dt.timedelta(days=window[0])),
            )
            filed = min(filed, clock.now() - dt.timedelta(hours=30))
            moments = _moments(rng, filed, provider_key)
            replies: list[tuple[ComplaintReply, dt.datetime]] = []
            if status != "open" or provider_reply:
                if provider_reply:
                    replies.append(
                        (
                            complaints.reply_to_complaint(session, seller, complaint.id, ReplyInput(provider_reply)),
                            moments["provider"],
                        )
                    )
            if status in ("in_progress", "resolved"):
                complaints.take_up_complaint(session, operator, complaint.id)
                if operator_reply:
                    replies.append(
                        (
                            complaints.reply_to_complaint(session, operator, complaint.id, ReplyInput(operator_reply)),
                            moments["operator"],
                        )
                    )
            if status == "resolved":
                replies.append(
                    (
                        complaints.reply_to_complaint(session, buyer, complaint.id, ReplyInput("问题已解决，谢谢。")),
                        moments["thanks"],
                    )
                )
                complaints.resolve_complaint(session, operator, complaint.id, ResolutionInput(resolution))
            _date_complaint(session, complaint.id, filed, moments, replies)
        except DomainError as error:
            session.rollback()
            print(f"demo complaint skipped: {error.detail}", file=sys.stderr)
    # the demo enterprise's own complaint, about its first order (when the payment mock made one)
    tea = demo_org(session, "guizhou_tea")
    order = session.scalars(select(Order).where(Order.enterprise_id == tea.id).order_by(Order.id).limit(1)).first()
    if order is not None and not session.scalar(select(exists().where(Complaint.order_id == order.id))):
        complaints.file_complaint(
            session,
            tea.members[0],
            ComplaintInput(
                order.id,
                ComplaintKind.DELIVERY,
                "开通进度请服务商说明",
                "订单已下单两天，服务商还没有确认，也没有告知开通时间，请运营方协助催办。",
            ),
        )


def _moments(rng: random.Random, filed: dt.datetime, provider_key: str) -> dict[str, dt.datetime]:
    speed = {"qianyun": 4, "yunshang": 10, "zhudata": 30, "hangtian": 20}[provider_key]
    provider = filed + dt.timedelta(hours=rng.randint(1, speed))
    operator = filed + dt.timedelta(hours=rng.randint(2, 26))
    thanks = max(provider, operator) + dt.timedelta(days=rng.randint(2, 9))
    return {
        "provider": provider,
        "operator": operator,
        "thanks": thanks,
        "taken_up": filed + dt.timedelta(hours=rng.randint(1, 24)),
        "resolved": thanks + dt.timedelta(hours=3),
    }


def _date_complaint(
    session: Session,
    complaint_id: int,
    filed: dt.datetime,
    moments: dict[str, dt.datetime],
    replies: list[tuple[ComplaintReply, dt.datetime]],
) -> None:
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


def seed_objections(session: Session, today: dt.date) -> None:
    if session.scalar(select(func.count()).select_from(NoticeObjection)):
        return
    in_notice = list(
        session.scalars(
            select(NoticeEntry)
            .where(NoticeEntry.published_on <= today, NoticeEntry.notice_ends_on >= today)
            .order_by(NoticeEntry.id)
        )
    )
    grant = next((e for e in in_notice if e.kind == NoticeKind.QUOTA_GRANT), None)
    payment = next((e for e in in_notice if e.kind == NoticeKind.DISBURSEMENT), None)
    operator = demo_user(session, "operator@yunquan.example")
    if grant is not None:
        objection = notices.lodge_objection(
            session,
            demo_user(session, "anshun@yunquan.example"),
            grant.id,
            ObjectionInput("据了解该企业与其选用的云服务商存在股权关联，请核实是否符合申领条件。"),
        )
        notices.answer_objection(
            session,
            operator,
            objection.id,
            AnswerInput("经核查，该企业与服务商之间无隶属、共建或产权关系，符合申领条件，维持发放。"),
        )
    if payment is not None or grant is not None:
        target = payment or grant
        notices.lodge_objection(
            session,
            demo_user(session, "bijie@yunquan.example"),
            target.id,
            ObjectionInput("请公开该笔拨付所对应订单的服务期和验收情况，便于社会监督。"),
        )
