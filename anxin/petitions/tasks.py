"""Huey tasks of the petitions app (discovered by Huey); each only calls a service with ids."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task(retries=3, retry_delay=10)
def petition_followup_task(petition_id: int) -> bool:
    """The deferred part of an intake: search tokens and repeat matching (safe to rerun)."""
    from anxin.core.audit import audit_seal
    from anxin.petitions.services import petition_followup

    done = petition_followup(petition_id=petition_id)
    audit_seal()  # the registration left its audit events to be sealed here
    return done
