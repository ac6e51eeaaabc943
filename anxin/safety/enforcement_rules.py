"""Enforcement (执法文书) rules as data — issue 4, item 5.

- :data:`ORDER_KINDS`: the four orders and the Chinese title of each document;
- :data:`LEGAL_BASES`: the maintained list of legal bases an order cites (安全生产法 2021), each
  with a summary of the article — add a line here to extend it;
- :func:`closure_flag`: 安全生产法 Art. 113 — a unit with a major hazard penalised 3 times
  within 180 days or 4 times within one year is proposed for closure (pure, no database).

The texts are Chinese: they are printed in official documents (see ``documents_enforcement``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

#: 行政处罚法 Art. 42: a penalty is carried out by at least two enforcement officers
MIN_OFFICERS = 2
#: 安全生产法 Art. 70: a power cut-off is announced 24 hours before
POWER_CUT_NOTICE_HOURS = 24
#: 安全生产法 Art. 113: (count, window in days) — any rule reached flags the site
CLOSURE_RULES: tuple[tuple[int, int], ...] = ((3, 180), (4, 365))
#: the re-inspection (复查) clock in supervision's table
CLOCK_SUBJECT = "safety.enforcementorder"
CLOCK_NAME = "reinspect_by"
#: 行政复议法 Art. 20 / 行政诉讼法 Art. 46
RECONSIDERATION_DAYS = 60
LITIGATION_MONTHS = 6


class OrderKind(models.TextChoices):
    RECTIFY = "rectify", _("Order to rectify within a time limit")
    SUSPEND = "suspend", _("Order to suspend production for rectification")
    SEAL = "seal", _("Sealing up or seizure")
    CLOSURE = "closure", _("Proposal to close")
    POWER_CUT = "power_cut", _("Power cut-off decision")


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    EXECUTED = "executed", _("executed")
    REINSPECTED = "reinspected", _("re-inspected")


#: the title printed on each kind's document
ORDER_TITLES: dict[str, str] = {
    OrderKind.RECTIFY: "责令限期整改指令书",
    OrderKind.SUSPEND: "责令停产停业整顿决定书",
    OrderKind.SEAL: "查封扣押决定书",
    OrderKind.CLOSURE: "提请关闭建议书",
    OrderKind.POWER_CUT: "停止供电决定书",
}
#: kinds that are always an administrative penalty or coercive measure; a rectification order
#: is one when it carries a fine (Art. 102). Penalties need two officers (行政处罚法 Art. 42) and
#: are what the Art. 113 rule counts.
PENALTY_KINDS = frozenset({OrderKind.SUSPEND, OrderKind.SEAL, OrderKind.POWER_CUT})


def is_penalty(kind: str, fine_yuan: object = None) -> bool:
    return kind in PENALTY_KINDS or bool(fine_yuan)


@dataclass(frozen=True)
class LegalBasis:
    code: str
    law: str
    article: str
    summary: str

    @property
    def citation(self) -> str:
        return f"《{self.law}》{self.article}"


_LAW = "中华人民共和国安全生产法"
LEGAL_BASES: tuple[LegalBasis, ...] = (
    LegalBasis(
        "wsl65_1",
        _LAW,
        "第六十五条第一款第（二）项",
        "对检查中发现的安全生产违法行为，当场予以纠正或者要求限期改正。",
    ),
    LegalBasis(
        "wsl65_3",
        _LAW,
        "第六十五条第一款第（三）项",
        "对检查中发现的事故隐患，应当责令立即排除；重大事故隐患排除前或者排除过程中无法保证安全的，"
        "应当责令从危险区域内撤出作业人员，责令暂时停产停业或者停止使用相关设施、设备；"
        "重大事故隐患排除后，经审查同意，方可恢复生产经营和使用。",
    ),
    LegalBasis(
        "wsl65_4",
        _LAW,
        "第六十五条第一款第（四）项",
        "对有根据认为不符合保障安全生产的国家标准或者行业标准的设施、设备、器材以及违法生产、储存、"
        "使用、经营、运输的危险物品予以查封或者扣押。",
    ),
    LegalBasis(
        "wsl70",
        _LAW,
        "第七十条",
        "生产经营单位拒不执行停产停业、停止施工、停止使用相关设施或者设备的决定，有发生生产安全事故的"
        "现实危险的，可以采取通知有关单位停止供电、停止供应民用爆炸物品等措施；除有危及生产安全的"
        "紧急情形外，应当提前二十四小时通知生产经营单位。",
    ),
    LegalBasis(
        "wsl102",
        _LAW,
        "第一百零二条",
        "生产经营单位未采取措施消除事故隐患的，责令立即消除或者限期消除，处五万元以下的罚款；"
        "拒不执行的，责令停产停业整顿。",
    ),
    LegalBasis(
        "wsl112",
        _LAW,
        "第一百一十二条",
        "生产经营单位被责令改正且受到罚款处罚，拒不改正的，自作出责令改正之日的次日起，"
        "按照原处罚数额按日连续处罚。",
    ),
    LegalBasis(
        "wsl113",
        _LAW,
        "第一百一十三条",
        "存在重大事故隐患，一百八十日内三次或者一年内四次受到本法规定的行政处罚的，"
        "负有安全生产监督管理职责的部门应当提请地方人民政府予以关闭。",
    ),
    LegalBasis(
        "wsl115",
        _LAW,
        "第一百一十五条",
        "本法规定的关闭，由负有安全生产监督管理职责的部门报请县级以上人民政府按照国务院规定的权限决定。",
    ),
)
BASES_BY_CODE: dict[str, LegalBasis] = {b.code: b for b in LEGAL_BASES}


def basis_choices() -> list[tuple[str, str]]:
    return [(b.code, f"{b.article}：{b.summary[:30]}…") for b in LEGAL_BASES]


def closure_flag(penalty_dates: Iterable[dt.date]) -> bool:
    """安全生产法 Art. 113: True when ``count`` penalties fall within ``window`` days for any
    rule of :data:`CLOSURE_RULES` (3 in 180, 4 in 365).

    "Within N days" (N日内) is read as: the last and the first penalty of the run are less than
    N days apart, counting the first day — i.e. ``last - first < N`` (179 days apart is within
    180; 180 days apart spans 181 calendar days and is not).
    """
    dates = sorted(penalty_dates)
    for count, window in CLOSURE_RULES:
        for i in range(len(dates) - count + 1):
            if (dates[i + count - 1] - dates[i]).days < window:
                return True
    return False
