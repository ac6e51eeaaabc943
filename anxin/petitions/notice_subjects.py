"""What a 督办单 may say about a petition (registered with supervision in ``ready``).

The issuer must see the case (``restrict(user, "view")``, the shield included). The notice
names the case number, and the title too unless the case is an accusation or confidential: an
accusation's notice carries the number alone, and the complainants' names, phones and ID
numbers are handed over as words the notice's text must not contain (信访工作条例 Art. 30, 46).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from anxin.supervision.notice_subjects import NoticeSubject


def petition_notice_subject(user: Any, subject_id: int) -> NoticeSubject | None:
    from anxin.petitions.choices import Kind
    from anxin.petitions.models import Petition

    petition = (
        Petition.objects.restrict(user, "view")
        .select_related("current_unit", "lead_unit", "accused_unit")
        .filter(pk=subject_id)
        .first()
    )
    if petition is None:
        return None
    unit = petition.lead_unit or petition.current_unit
    url = reverse("petition_detail", args=[petition.uid])
    if petition.kind != Kind.ACCUSATION and not petition.confidential:
        return NoticeSubject(label=f"{petition.number} {petition.title}", unit=unit, url=url)
    terms: list[str] = []
    for person in petition.complainants.all():
        terms += [person.name, person.phone, person.id_number]
    return NoticeSubject(
        label=petition.number,
        unit=unit,
        url=url,
        accused_unit=petition.accused_unit if petition.kind == Kind.ACCUSATION else None,
        private_terms=tuple(t for t in terms if t and len(t) >= 2),
    )


def register_notice_subjects() -> None:
    from django.utils.translation import gettext_lazy as _

    from anxin.supervision.notice_subjects import register_subject

    register_subject("petitions.petition", _("Petition"), petition_notice_subject)
