"""The starting vocabularies of petitions: categories and the reasons for not accepting.

Loaded by a data migration and again by ``seed_demo`` (a flushed test database loses
migration data). Both are admin-editable afterwards; loading never overwrites an edit.
"""

from __future__ import annotations

from typing import Any

CATEGORIES = [
    ("land", "征地拆迁", False),
    ("labour", "劳动社保", False),
    ("construction", "城乡建设", False),
    ("environment", "环境保护", False),
    ("safety", "安全生产", True),
    ("education", "教育", False),
    ("health", "医疗卫生", False),
    ("law", "涉法涉诉", False),
    ("transport", "交通运输", False),
    ("market", "市场监管", False),
    ("agriculture", "农村农业", False),
    ("civil", "民政事务", False),
    ("discipline", "纪检监察", False),
    ("other", "其他", False),
]

# 诉访分离 (信访工作条例 Art. 22, 28, 31): matters with a statutory channel go there.
DECLINE_REASONS = [
    ("litigation", "属于诉讼程序解决的事项", "依法向人民法院提起诉讼", "第三十一条第（一）项"),
    (
        "arbitration",
        "属于仲裁程序解决的事项",
        "依法申请劳动人事争议仲裁或商事仲裁",
        "第三十一条第（二）项",
    ),
    (
        "reconsideration",
        "属于行政复议程序解决的事项",
        "依法向行政复议机关申请行政复议",
        "第三十一条第（三）项",
    ),
    (
        "discipline",
        "属于党的纪律检查、国家监察程序的事项",
        "向纪检监察机关检举控告",
        "第二十二条、第三十条",
    ),
    (
        "other_procedure",
        "属于其他法定途径解决的事项",
        "按照法律、行政法规规定的程序和途径提出",
        "第三十一条第（五）项",
    ),
    ("pending", "已受理且在办理期限内，向上级机关再次提出", "等待原受理机关答复", "第十九条"),
    ("rechecked", "复核后仍以同一事实和理由提出", "不再受理；已告知原复核意见", "第三十六条"),
    ("not_petition", "不属于信访事项", "通过相应服务渠道办理", "第十七条"),
]


def load_vocabularies(category_model: Any, reason_model: Any) -> None:
    for index, (code, name, safety) in enumerate(CATEGORIES):
        category_model.objects.get_or_create(
            code=code, defaults={"name": name, "is_safety": safety, "sort_order": index}
        )
    for index, (code, name, advice, article) in enumerate(DECLINE_REASONS):
        reason_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "channel_advice": advice,
                "article": article,
                "sort_order": index,
            },
        )
