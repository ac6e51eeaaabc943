"""Deferred intake (issue 7): what a registration does after the petitioner has the number.

``petition_register`` writes the case, its number, its ``accept_by`` clock, its timeline and
audit events in one short transaction and marks it ``followup_pending``. After the commit it
enqueues :func:`petition_followup` (Huey), which indexes the case for full-text search and
compares it with recent cases of the same matter (``anxin.petitions.matching``). The step is
idempotent: it writes only while the case is still pending, under the case's row lock (the
comparison, which only reads, comes before that transaction), so a second run (a retried
task, the catch-up job racing the task) changes nothing. The periodic job
``petitions_followup_catch_up_job`` (config/schedule.py) runs it for the cases whose task never
ran (a crash between the commit and the enqueue, a lost queue).
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from anxin.petitions.models import Petition
from anxin.petitions.services._common import _event

__all__ = [
    "CATCH_UP_AFTER",
    "petition_followup",
    "petition_followup_enqueue",
    "petitions_followup_catch_up",
]

logger = logging.getLogger(__name__)

#: a pending case older than this is the catch-up job's (its own task had time to run)
CATCH_UP_AFTER = timedelta(minutes=2)


def petition_followup(*, petition_id: int) -> bool:
    """Index one registered case and match it with earlier ones; False when nothing was to do.

    The system's step (no person acts): it adds the flags ``possible_repeat`` and
    ``no_reacceptance`` (信访工作条例 Art. 36) and ``repeat_of`` to what the case already has,
    and records a timeline and audit event only when it found related cases.
    """
    from anxin.petitions.matching import find_related, index_petition

    # The comparison only reads, so it runs before the write transaction: on SQLite that
    # transaction takes the database's one write lock (``transaction_mode`` IMMEDIATE), and
    # holding it through the comparison made every intake wait behind the follow-up.
    seen = Petition.objects.filter(pk=petition_id, followup_pending=True).first()
    if seen is None:
        return False
    related = find_related(seen)
    with transaction.atomic():
        # the case's row only: a plain FOR UPDATE would lock its category too, and an intake
        # of that category checks its foreign key at COMMIT (FOR KEY SHARE) while holding the
        # rollup rows this step moves next: a deadlock (seen in the soak test)
        petition = (
            Petition.objects.select_for_update(of=("self",))
            .select_related("category")
            .filter(pk=petition_id, followup_pending=True)
            .first()
        )
        if petition is None:
            return False
        if petition.version != seen.version:  # edited meanwhile: compare the text as it is now
            related = find_related(petition)
        index_petition(petition)
        flags: list[str] = []
        if any(r["reason"] == "no_reacceptance" for r in related):
            flags.append("no_reacceptance")
        if related:
            flags.append("possible_repeat")
        fields = ["followup_pending"]
        petition.followup_pending = False
        added = [f for f in flags if f not in petition.flags]
        if added:
            petition.flags = [*petition.flags, *added]
            fields.append("flags")
        if related and petition.repeat_of_id is None:
            petition.repeat_of_id = related[0]["pk"]
            fields.append("repeat_of")
        # not a person's edit: the version (optimistic locking of the case page) is kept
        petition.save(update_fields=fields)
        if related:
            _event(
                petition,
                "repeat_matched",
                None,
                flags=flags,
                related=[{"number": r["number"], "reason": r["reason"]} for r in related],
            )
    return True


def _enqueue(petition_id: int) -> None:
    from anxin.petitions.tasks import petition_followup_task

    try:
        petition_followup_task(petition_id)
    except Exception:  # the queue is down: the catch-up job will do it
        logger.exception("petition %s: follow-up not enqueued", petition_id)


def petition_followup_enqueue(petition_id: int) -> None:
    """Hand the case's follow-up to Huey once the registering transaction has committed."""
    transaction.on_commit(functools.partial(_enqueue, petition_id), robust=True)


def petitions_followup_catch_up(*, older_than: timedelta = CATCH_UP_AFTER, batch: int = 200) -> int:
    """Run the follow-up of every case still pending ``older_than`` after its registration
    (the periodic job's step); returns how many were done. A case whose follow-up fails is
    logged and left pending for the next run; the others go on."""
    cutoff = timezone.now() - older_than
    done, after = 0, 0
    while True:
        ids = list(
            Petition.objects.filter(followup_pending=True, registered_at__lt=cutoff, id__gt=after)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        for pk in ids:
            try:
                done += petition_followup(petition_id=pk)
            except Exception:
                logger.exception("petition %s: follow-up failed; the next run retries", pk)
        if len(ids) < batch:
            return done
        after = ids[-1]
