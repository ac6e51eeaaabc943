"""The petitions' written documents (信访文书) as .docx in the GB/T 9704 layout.

One builder per paper the Regulation on Petition Work (信访工作条例, 2022) requires:

- ``forward_notice`` 信访事项转送告知书 — by the unit that forwarded it, once forwarded (Art. 22, 23);
- ``acceptance_notice`` 信访事项受理告知书 — by the holding unit, once accepted (Art. 23, 34);
- ``decline_notice`` 信访事项不予受理告知书 — by the holding unit, once declined (Art. 23, 31);
- ``extension_notice`` 信访事项延期办理告知书 — by the lead unit, once extended (Art. 34);
- ``decision`` 信访处理意见书 — by the lead unit, once signed off (签发) (Art. 32, 35);
- ``review_decision`` 信访事项复查意见书 — by the review unit, once signed off (Art. 35, 36);
- ``recheck_decision`` 信访事项复核意见书 — by the re-review unit, once signed off (Art. 36).

The facts come from the case and its timeline (``PetitionEvent.data``: the forward's
``to_unit``, the extension's ``days``/``reason``, the decline's ``reason`` and
``channel_advice``) and from the signed-off :class:`~anxin.petitions.models.Decision`. The layout
is :mod:`anxin.core.documents`; nothing here decides how a page looks.

Language (decision). The *texts of the documents* are Chinese literals in this module and do
not go through gettext. An official document is a legal act of a Chinese organ addressed to a
petitioner: it is issued in Chinese whatever language the member of staff who prints it has
chosen for the interface, exactly like the laws it cites, which exist only in Chinese. A
translated 信访处理意见书 would not be the document the organ signed off, and an English UI must
not be able to produce an English "official" paper. Every *interface* string (the labels in the
case page, the refusals raised here) is an English msgid translated through gettext as usual.

Personal data. The recipient is the petitioners' names, or ``信访人`` when the case is anonymous
or the person printing may not see the names of a confidential petitioner
(:func:`~anxin.petitions.selectors.can_see_identity`). Citizen ID numbers, phone numbers and
addresses are never printed. Each issue is recorded in the audit trail
(:func:`petition_document_issue`) with the SM3 digest of the bytes handed out.

Outcomes are worded as the article says (Art. 32: 予以支持 / 作出解释说明 / 不予支持); a
解释说明 or 不予支持 is never described as the matter being resolved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.crypto import sm3_hex
from anxin.core.documents import (
    Block,
    Heading,
    OfficialDocument,
    Paragraph,
    date_cn,
    paragraphs_from_text,
    render,
)
from anxin.core.errors import ServiceError
from anxin.core.models import Unit
from anxin.petitions import clocks
from anxin.petitions.choices import Channel, DocumentKind, Kind, Outcome, Stage
from anxin.petitions.models import Decision, Petition, PetitionEvent
from anxin.petitions.rules import HANDLE_DAYS, MAX_EXTENSION_DAYS
from anxin.petitions.selectors import can_see_identity

__all__ = [
    "DOCX_CONTENT_TYPE",
    "DocumentNotAvailable",
    "UnknownDocument",
    "ascii_filename",
    "available_documents",
    "petition_document",
    "petition_document_issue",
]

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentNotAvailable(ServiceError):
    """The step the document records has not happened (or the answer is not signed off)."""

    status = 409
    code = "document_not_available"


class UnknownDocument(ServiceError):
    status = 404
    code = "not_found"


# --- vocabulary of the papers (Chinese official language, see the module docstring) ---------

TITLES: dict[str, str] = {
    DocumentKind.FORWARD: "信访事项转送告知书",
    DocumentKind.ACCEPTANCE: "信访事项受理告知书",
    DocumentKind.DECLINE: "信访事项不予受理告知书",
    DocumentKind.EXTENSION: "信访事项延期办理告知书",
    DocumentKind.DECISION: "信访处理意见书",
    DocumentKind.REVIEW: "信访事项复查意见书",
    DocumentKind.RECHECK: "信访事项复核意见书",
}

#: the order the documents of a case are listed in (the order they are issued)
ORDER = (
    DocumentKind.FORWARD,
    DocumentKind.ACCEPTANCE,
    DocumentKind.DECLINE,
    DocumentKind.EXTENSION,
    DocumentKind.DECISION,
    DocumentKind.REVIEW,
    DocumentKind.RECHECK,
)

#: a notice exists once the timeline holds the step it notifies
NOTICE_EVENTS: dict[str, str] = {
    DocumentKind.FORWARD: "forwarded",
    DocumentKind.ACCEPTANCE: "accepted",
    DocumentKind.DECLINE: "declined",
    DocumentKind.EXTENSION: "extended",
}
#: … and the service action that takes the step (its label names it in the refusal)
NOTICE_ACTIONS: dict[str, str] = {
    DocumentKind.FORWARD: "forward",
    DocumentKind.ACCEPTANCE: "accept",
    DocumentKind.DECLINE: "decline",
    DocumentKind.EXTENSION: "extend",
}

#: a written answer exists once its Decision is signed off (签发)
DECISION_STAGES: dict[str, str] = {
    DocumentKind.DECISION: Stage.DECISION,
    DocumentKind.REVIEW: Stage.REVIEW,
    DocumentKind.RECHECK: Stage.RECHECK,
}

#: Art. 17: 信息网络、书信、电话、传真、走访
CHANNEL_WORDS: dict[str, str] = {
    Channel.WEB: "信息网络",
    Channel.LETTER: "书信",
    Channel.PHONE: "电话",
    Channel.FAX: "传真",
    Channel.VISIT: "走访",
}

#: what the answer is called in its own text, by stage
STAGE_WORDS: dict[str, str] = {
    Stage.DECISION: "处理意见",
    Stage.REVIEW: "复查意见",
    Stage.RECHECK: "复核意见",
}

#: Art. 32(1)–(3), worded as the article words them; never "resolved"
OUTCOME_WORDS: dict[str, str] = {
    Outcome.SUPPORT: "支持",
    Outcome.EXPLAIN: "解释说明",
    Outcome.REJECT: "不予支持",
}
OUTCOME_TEXT: dict[str, str] = {
    Outcome.SUPPORT: (
        "经审查，{you}的请求事实清楚，符合法律、法规、规章或者其他有关规定。依照《信访工作条例》"
        "第三十二条第一款第一项的规定，本机关对{you}的请求予以支持，并将督促有关机关、单位执行。"
    ),
    Outcome.EXPLAIN: (
        "经审查，{you}的请求事由合理，但缺乏法律依据。依照《信访工作条例》第三十二条第一款"
        "第二项的规定，本机关作出解释说明，理由和依据如上。"
    ),
    Outcome.REJECT: (
        "经审查，{you}的请求缺乏事实根据或者不符合法律、法规、规章或者其他有关规定。依照"
        "《信访工作条例》第三十二条第一款第三项的规定，本机关不予支持。"
    ),
}

ANONYMOUS_RECIPIENT = "信访人"
HIGHER_ORGAN_FALLBACK = "本机关的上一级机关、单位"


# --- public API ------------------------------------------------------------------------------


def available_documents(petition: Petition) -> list[tuple[str, str]]:
    """``(kind, label)`` of the documents this case can issue now, in the order of issue.

    Two queries: the notified steps in the timeline and the signed-off answers.
    """
    steps = set(
        petition.events.filter(kind__in=NOTICE_EVENTS.values())
        .values_list("kind", flat=True)
        .distinct()
    )
    signed = set(
        petition.decisions.filter(signed_off_at__isnull=False).values_list("stage", flat=True)
    )
    out = []
    for kind in ORDER:
        ready = (
            NOTICE_EVENTS[kind] in steps
            if kind in NOTICE_EVENTS
            else DECISION_STAGES[kind] in signed
        )
        if ready:
            out.append((kind.value, str(kind.label)))
    return out


def petition_document(petition: Petition, kind: str, *, user: Any) -> tuple[str, bytes]:
    """The document ``kind`` of the case as ``(file name, .docx bytes)``.

    Raises :class:`UnknownDocument` for a kind that is not a ``DocumentKind`` and
    :class:`DocumentNotAvailable` when the step it records has not happened yet (a written
    answer: until it is signed off). ``user`` decides whether the petitioners' names are
    printed. The file name is ``<case number>-<title>.docx`` (UTF-8); see
    :func:`ascii_filename` for the ASCII fallback.
    """
    doc = _build(petition, kind, user)
    return f"{petition.number}-{doc.title}.docx", render(doc)


def ascii_filename(petition: Petition, kind: str) -> str:
    """The ASCII fallback name of a document: ``XF20260000001-decision.docx``."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in kind)
    number = "".join(c for c in petition.number if c.isascii() and c.isalnum())
    return f"{number}-{safe}.docx"


@transaction.atomic
def petition_document_issue(*, actor: Any, petition: Petition, kind: str) -> tuple[str, bytes]:
    """Produce an official paper for ``actor`` and record who printed what (audited).

    A read, but one that hands out an official document with personal data in it, so it is
    audited like a step: action ``petition.document`` with the kind, the file name, whether the
    names were printed, and the SM3 digest of the bytes.
    """
    if not Petition.objects.restrict(actor, "view").filter(pk=petition.pk).exists():
        raise PermissionDenied
    filename, data = petition_document(petition, kind, user=actor)
    audit_record(
        actor=actor,
        action="petition.document",
        obj=petition,
        after={
            "kind": kind,
            "filename": filename,
            "names_printed": can_see_identity(actor, petition),
            "sm3": sm3_hex(data),
        },
    )
    return filename, data


# --- building ---------------------------------------------------------------------------------


@dataclass
class _Case:
    """What every paper of one case shares."""

    petition: Petition
    recipient: str
    you: str  # 你 / 你们

    @property
    def matter(self) -> str:
        p = self.petition
        channel = CHANNEL_WORDS.get(p.channel, "")
        how = f"以{channel}形式" if channel else ""
        return f"{self.you}于{date_cn(p.received_on)}{how}提出的“{p.title}”信访事项"


def _build(petition: Petition, kind: str, user: Any) -> OfficialDocument:
    if kind not in DocumentKind.values:
        raise UnknownDocument(_("Unknown document."))
    case = _case(petition, user)
    if kind in NOTICE_EVENTS:
        event = _last_event(petition, NOTICE_EVENTS[kind])
        if event is None:
            from anxin.petitions.services import action_label

            raise DocumentNotAvailable(
                _("“%(document)s” can be issued only after this step: %(step)s.")
                % {
                    "document": DocumentKind(kind).label,
                    "step": action_label(NOTICE_ACTIONS[kind]),
                }
            )
        builders = {
            DocumentKind.FORWARD: _forward_notice,
            DocumentKind.ACCEPTANCE: _acceptance_notice,
            DocumentKind.DECLINE: _decline_notice,
            DocumentKind.EXTENSION: _extension_notice,
        }
        issuer, body = builders[DocumentKind(kind)](case, event)
        on = timezone.localdate()
    else:
        decision = (
            Decision.objects.select_related("unit", "unit__parent")
            .filter(petition=petition, stage=DECISION_STAGES[kind], signed_off_at__isnull=False)
            .first()
        )
        if decision is None or decision.signed_off_at is None:
            raise DocumentNotAvailable(
                _(
                    "“%(document)s” can be issued only after it has been drafted and signed off "
                    "by the unit head."
                )
                % {"document": DocumentKind(kind).label}
            )
        issuer = decision.unit
        body = _answer(case, decision)
        on = timezone.localdate(decision.signed_off_at)
    return OfficialDocument(
        issuer=issuer.name,
        doc_number=f"信访件编号：{petition.number}",
        title=TITLES[kind],
        recipient=case.recipient,
        body=body,
        signature=issuer.name,
        date=on,
    )


def _case(petition: Petition, user: Any) -> _Case:
    names: list[str] = []
    if can_see_identity(user, petition):
        people = petition.complainants.order_by("is_representative", "id")
        names = list(dict.fromkeys(n for n in (c.name.strip() for c in people) if n))
    if not names:
        return _Case(petition, ANONYMOUS_RECIPIENT, "你")
    return _Case(petition, "、".join(names), "你们" if len(names) > 1 else "你")


def _last_event(petition: Petition, event_kind: str) -> PetitionEvent | None:
    return (
        petition.events.select_related("unit")
        .filter(kind=event_kind)
        .order_by("-at", "-id")
        .first()
    )


def _day(event: PetitionEvent) -> dt.date:
    return timezone.localdate(event.at)


def _unit_name(code: Any) -> str:
    unit = Unit.objects.filter(code=str(code)).only("name").first() if code else None
    return unit.name if unit is not None else str(code or "")


def _higher(unit: Unit | None) -> str:
    parent = unit.parent if unit is not None else None
    return parent.name if parent is not None else HIGHER_ORGAN_FALLBACK


def _accepted_on(petition: Petition) -> dt.date | None:
    """受理之日: the day the handling clock counts from (the step's ``on``), else the event."""
    clock = clocks.all_clocks(petition).get("handle_by")
    if clock is not None:
        start_on: dt.date = clock.start_on
        return start_on
    event = _last_event(petition, "accepted")
    return _day(event) if event is not None else None


def _issuer(event: PetitionEvent, fallback: Unit | None) -> Unit:
    unit = event.unit or fallback
    assert unit is not None, "a notified step always names its unit"
    return unit


def _forward_notice(case: _Case, event: PetitionEvent) -> tuple[Unit, list[Block]]:
    """Art. 22, 23: tell the petitioner where the matter went (转送去向)."""
    to_name = _unit_name(event.data.get("to_unit"))
    you = case.you
    body: list[Block] = [
        Paragraph(f"{case.matter}，本机关已收悉。"),
        Paragraph(
            f"依照《信访工作条例》第二十二条、第二十三条的规定，本机关已于{date_cn(_day(event))}"
            f"将该信访事项转送{to_name}处理。"
        ),
        Paragraph(
            f"依照《信访工作条例》第二十三条的规定，{to_name}应当自收到之日起15日内书面告知"
            f"{you}接收情况以及处理途径和程序。该事项的办理情况，请{you}向{to_name}了解。"
        ),
        Paragraph("特此告知。"),
    ]
    return _issuer(event, case.petition.forwarded_by_unit), body


def _acceptance_notice(case: _Case, event: PetitionEvent) -> tuple[Unit, list[Block]]:
    """Art. 23: 接收情况以及处理途径和程序; for a claim the 60-day limit of Art. 34."""
    p = case.petition
    you = case.you
    issuer = _issuer(event, p.current_unit)
    accepted_on = _accepted_on(p) or _day(event)
    lead = p.lead_unit
    who = "本机关" if lead is None or lead.pk == issuer.pk else lead.name
    body: list[Block] = [
        Paragraph(
            f"{case.matter}，本机关已收悉。依照《信访工作条例》第二十三条的规定，现书面告知如下："
        ),
        Paragraph(f"本机关已于{date_cn(accepted_on)}受理该信访事项，由{who}负责办理。"),
    ]
    if p.kind == Kind.CLAIM:
        body += [
            Paragraph(
                "依照《信访工作条例》第三十一条第六项的规定，办理机关将听取"
                f"{you}陈述事实和理由，并调查核实，出具信访处理意见书。"
            ),
            Paragraph(
                f"依照《信访工作条例》第三十四条的规定，该信访事项应当自受理之日起{HANDLE_DAYS}日"
                "内办结；情况复杂的，经办理机关负责人批准，可以适当延长办理期限，但延长期限不得"
                f"超过{MAX_EXTENSION_DAYS}日，并告知{you}延期理由。"
            ),
        ]
    elif p.kind == Kind.SUGGESTION:
        body.append(
            Paragraph(
                "依照《信访工作条例》第二十九条的规定，办理机关将对"
                f"{you}提出的建议意见认真研究论证，并予以回复。"
            )
        )
    else:
        body.append(
            Paragraph(
                "依照《信访工作条例》第三十条的规定，该检举控告事项将依规依纪依法办理和反馈；"
                f"{you}的检举、揭发材料以及有关情况不得透露或者转给被检举、揭发的人员或者单位。"
            )
        )
    body += [
        Paragraph(
            f"{you}可以凭登记时取得的查询码查询、评价该信访事项的办理情况"
            "（《信访工作条例》第二十一条）。"
        ),
        Paragraph("特此告知。"),
    ]
    return issuer, body


def _decline_notice(case: _Case, event: PetitionEvent) -> tuple[Unit, list[Block]]:
    """Art. 23, 31 (诉访分离): why not, and the channel to use instead."""
    p = case.petition
    reason = str(event.data.get("reason") or (p.decline_reason.name if p.decline_reason else ""))
    advice = str(event.data.get("channel_advice") or p.channel_advice)
    article = p.decline_reason.article if p.decline_reason is not None else ""
    basis = f"《信访工作条例》{article}" if article else "《信访工作条例》有关规定"
    body: list[Block] = [
        Paragraph(f"{case.matter}，本机关已收悉。"),
        Paragraph(
            f"经审查，该事项{reason}。依照{basis}的规定，本机关于{date_cn(_day(event))}"
            "决定不予受理。"
        ),
        Paragraph(f"依照《信访工作条例》第二十三条的规定，现告知{case.you}：{advice}。"),
        Paragraph("特此告知。"),
    ]
    return _issuer(event, p.current_unit), body


def _extension_notice(case: _Case, event: PetitionEvent) -> tuple[Unit, list[Block]]:
    """Art. 34: the extension approved by the unit head, and its reason."""
    p = case.petition
    days = int(event.data.get("days") or 0)
    total = int(event.data.get("total") or days)
    reason = str(event.data.get("reason") or "").strip().rstrip("。；;，,")
    accepted_on = _accepted_on(p)
    accepted = f"，本机关已于{date_cn(accepted_on)}受理" if accepted_on else "，本机关已受理"
    extended = f"办理期限延长{days}日"
    if total > days:
        extended += f"（累计延长{total}日）"
    clock = clocks.all_clocks(p).get("handle_by")
    if clock is not None and clock.state not in ("paused", "cancelled"):
        extended += f"，延长后的办理期限至{date_cn(clock.due_on)}"
    body: list[Block] = [
        Paragraph(f"{case.matter}{accepted}。"),
        Paragraph(
            f"依照《信访工作条例》第三十四条的规定，该信访事项应当自受理之日起{HANDLE_DAYS}日内"
            "办结；情况复杂的，经本机关负责人批准，可以适当延长办理期限，但延长期限不得超过"
            f"{MAX_EXTENSION_DAYS}日，并告知信访人延期理由。"
        ),
        Paragraph(f"因{reason}，经本机关负责人批准，{extended}。现将延期理由告知{case.you}。"),
        Paragraph("特此告知。"),
    ]
    return _issuer(event, p.lead_unit), body


def _answer(case: _Case, decision: Decision) -> list[Block]:
    """信访处理意见书 / 复查意见书 / 复核意见书 (Art. 32, 35, 36)."""
    p = case.petition
    you = case.you
    stage = decision.stage
    word = STAGE_WORDS[stage]
    request = decision.request.strip()
    body: list[Block] = []
    if stage == Stage.DECISION:
        accepted_on = _accepted_on(p)
        accepted = f"，本机关于{date_cn(accepted_on)}受理" if accepted_on else ""
        basis = "第三十一条第六项、第三十二条" if p.kind == Kind.CLAIM else "第三十二条"
        body.append(
            Paragraph(
                f"{case.matter}{accepted}。经调查核实，现依照《信访工作条例》{basis}的规定，"
                "出具处理意见如下："
            )
        )
        request = request or p.title
        headings = ("信访请求", "经调查核实的事实", "处理理由", "法律法规依据", "处理意见")
    else:
        review = stage == Stage.REVIEW
        earlier_stage = Stage.DECISION if review else Stage.REVIEW
        earlier = (
            Decision.objects.select_related("unit")
            .filter(petition=p, stage=earlier_stage, signed_off_at__isnull=False)
            .first()
        )
        asked = _last_event(p, "review_requested" if review else "recheck_requested")
        if earlier is not None and earlier.signed_off_at is not None:
            what = (
                f"{earlier.unit.name}于{date_cn(timezone.localdate(earlier.signed_off_at))}"
                f"作出的{STAGE_WORDS[earlier_stage]}"
            )
        else:
            what = f"原{STAGE_WORDS[earlier_stage]}"
        when = f"于{date_cn(_day(asked))}" if asked is not None else ""
        procedure, article = ("复查", "第三十五条") if review else ("复核", "第三十六条")
        body.append(
            Paragraph(
                f"{you}不服{what}，{when}向本机关请求{procedure}。依照《信访工作条例》{article}"
                f"的规定，本机关对{case.matter}进行了{procedure}，现将{word}告知如下："
            )
        )
        if not request and asked is not None:
            request = str(asked.data.get("reason") or "")
        headings = (
            f"{procedure}请求",
            f"{procedure}查明的事实",
            f"{procedure}理由",
            "法律法规依据",
            word,
        )
    for heading, text in zip(
        headings[:4], (request, decision.facts, decision.reasons, decision.legal_basis), strict=True
    ):
        body.append(Heading(1, heading))
        body += paragraphs_from_text(text) or [Paragraph("无。")]
    body.append(Heading(1, headings[4]))
    body.append(Paragraph(f"{word}：{OUTCOME_WORDS[decision.outcome]}。"))
    body.append(Paragraph(OUTCOME_TEXT[decision.outcome].format(you=you)))
    body += _rights(case, decision)
    return body


def _rights(case: _Case, decision: Decision) -> list[Block]:
    """What the petitioner may do next, with the article (Art. 35, 36)."""
    you = case.you
    if case.petition.kind != Kind.CLAIM:
        return []
    if decision.stage == Stage.DECISION:
        higher = _higher(decision.unit)
        return [
            Paragraph(
                f"{you}对本处理意见不服的，可以自收到本意见书之日起30日内，向{higher}请求复查"
                f"（《信访工作条例》第三十五条）。{higher}应当自收到复查请求之日起30日内提出复查"
                "意见，并予以书面答复。"
            )
        ]
    if decision.stage == Stage.REVIEW:
        higher = _higher(decision.unit)
        return [
            Paragraph(
                f"{you}对本复查意见不服的，可以自收到本意见书之日起30日内，向{higher}请求复核"
                f"（《信访工作条例》第三十六条）。{higher}应当自收到复核请求之日起30日内提出复核"
                "意见。"
            )
        ]
    return [
        Paragraph(
            f"依照《信访工作条例》第三十六条第三款的规定，{you}对本复核意见不服，仍然以同一事实"
            "和理由提出投诉请求的，各级党委和政府信访部门和其他机关、单位不再受理。"
        )
    ]
