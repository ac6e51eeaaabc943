"""Petitions listen to supervision: a calendar edit that moves a deadline is noted in the case's
timeline (item 14: "editing the calendar recomputes the deadlines of open cases and notes it")."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from anxin.supervision.signals import clocks_recomputed


@receiver(clocks_recomputed)
def note_moved_deadlines(
    sender: Any, changes: list[Any], dates: list[Any], actor: Any = None, **kwargs: Any
) -> None:
    from anxin.petitions.models import Petition, PetitionEvent

    mine = [c for c in changes if c.subject_type == "petitions.petition"]
    if not mine:
        return
    existing = set(
        Petition.objects.filter(pk__in={c.subject_id for c in mine}).values_list("pk", flat=True)
    )
    mine = [c for c in mine if c.subject_id in existing]
    changed = ", ".join(sorted(d.isoformat() for d in dates))
    PetitionEvent.objects.bulk_create(
        [
            PetitionEvent(
                petition_id=c.subject_id,
                kind="deadline_recomputed",
                actor=actor,
                actor_label=actor.display_name if actor is not None else "",
                data={
                    "clock": c.name,
                    "old": c.old_due.isoformat(),
                    "new": c.new_due.isoformat(),
                    "calendar_dates": changed,
                },
            )
            for c in mine
        ],
        batch_size=1000,
    )


from anxin.safety.signals import hazard_closed  # noqa: E402


@receiver(hazard_closed)
def prompt_answer_on_hazard_closed(
    sender: Any, hazard: Any, actor: Any = None, **kwargs: Any
) -> None:
    """A linked hazard was closed (销号): the case's timeline prompts its handler to answer the
    petitioner (item 11). Nothing goes back to safety."""
    from anxin.petitions.models import PetitionEvent
    from anxin.petitions.models_hazards import PetitionHazardLink

    petition_ids = PetitionHazardLink.objects.filter(hazard=hazard).values_list(
        "petition_id", flat=True
    )
    PetitionEvent.objects.bulk_create(
        [
            PetitionEvent(
                petition_id=pk,
                kind="hazard_closed",
                actor=None,
                actor_label="",
                data={"hazard": hazard.number},
            )
            for pk in petition_ids
        ]
    )
