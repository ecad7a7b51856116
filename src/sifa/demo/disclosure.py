"""Demo 政务公开 notices, published through the real disclosure services: each drafted by a staff
member of its organisation, submitted, and passed through 保密审查 by another person —

* 浙江省司法厅: drafted by ``demo-province-clerk``, reviewed by ``demo-province`` (supervisor);
* 杭州市司法局: drafted by ``demo-city``, reviewed by ``demo-province`` (the level above).

Idempotent: a notice whose title already exists at its organisation is left as it is.
"""

from __future__ import annotations

from sifa.accounts.models import User
from sifa.disclosure import rules, services
from sifa.disclosure.models import Notice
from sifa.organisations.scope import actor_for

NOTICES = [
    (
        "demo-province-clerk",
        "policy",
        "《浙江省公共法律服务条例》相关办事指引解读",
        """为方便群众和企业办理司法行政政务服务事项，现就网上办理的主要规定解读如下。

## 一、哪些事项可以网上办理
律师执业许可、公证员执业、司法鉴定人执业、法律援助申请、人民调解申请等事项，均可通过本平台在线申请、查询进度和领取电子证照。

## 二、材料能少则少
- 已有电子证照、能通过部门共享获取的材料，申请人无需再次提交；
- 申请材料不齐全的，受理机关**一次性告知**需要补正的全部内容。

## 三、办理时限
法定办理时限和承诺时限均按工作日计算，节假日顺延。办理进度可在“办件查询”中随时查看。

如有疑问，请拨打12348公共法律服务热线咨询。""",
        "demo-province",
    ),
    (
        "demo-province-clerk",
        "notice",
        "关于开展2026年度政务服务“好差评”情况通报的通知",
        """各市、县（市、区）司法局：

根据政务服务“好差评”制度的要求，省厅将按月公开各地司法行政政务服务的评价数量、满意率和差评整改率，接受社会监督。

请各地做好以下工作：
1. 对每一条差评，在15个工作日内完成整改，实名差评先行回访；
2. 整改情况及时反馈评价人；
3. 对经核实的恶意差评，按程序提请上级机关复核，不得自行删除。

特此通知。""",
        "demo-province",
    ),
    (
        "demo-city",
        "notice",
        "杭州市司法局政务服务窗口元旦期间办公安排",
        """2027年1月1日（星期五）至1月3日（星期日）元旦放假，政务服务窗口暂停现场受理。

放假期间，群众可通过本平台网上提交律师执业许可等事项的申请，节后第一个工作日起依次受理；法定时限和承诺时限按工作日计算，节假日不计入。

咨询电话：12348。""",
        "demo-province",
    ),
    (
        "demo-city",
        "news",
        "市司法局推行律师执业许可“一次不用跑”",
        """今年以来，杭州市司法局推行律师执业许可全程网办：申请人在线提交材料，审查结果和电子执业证书通过平台送达，**全程无需到窗口**。

截至目前，全程网办的律师执业许可申请平均办理时间较法定时限缩短一半以上。下一步，市司法局将把这一做法推广到律师事务所设立、变更等事项。""",
        "demo-province",
    ),
]


def ensure_notices() -> list[Notice]:
    """The demo notices, published (those already there are left as they are)."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in={n[0] for n in NOTICES} | {n[4] for n in NOTICES})
    }
    done = []
    for author_name, category, title, body, reviewer_name in NOTICES:
        author, reviewer = users.get(author_name), users.get(reviewer_name)
        if author is None or reviewer is None:
            continue
        organisations = rules.author_organisations(actor_for(author))
        if not organisations:
            continue
        organisation = organisations[0]
        existing = Notice.objects.filter(organisation=organisation, title=title).first()
        if existing is not None:
            done.append(existing)
            continue
        notice = services.save_draft(
            author, organisation=organisation.pk, category=category, title=title, body=body
        )
        services.submit(author, notice.public_id)
        done.append(
            services.review(
                reviewer,
                notice.public_id,
                decision="publish",
                confirmed=True,
                opinion="经审查，不涉及国家秘密、工作秘密、商业秘密和个人隐私，同意公开。",
            )
        )
    return done
