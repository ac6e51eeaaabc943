"""Every periodic job of Anxin, in one place. The Huey consumer (``manage.py run_huey``) runs them.

Each job only calls a service or a sweep with ids; its logic lives in the owning app.
"""

from __future__ import annotations

import gc
import threading

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task, on_startup


@db_periodic_task(crontab(minute="*"))
@lock_task("audit-seal")
def audit_seal_job() -> int:
    """Seal audit records that were not sealed right after their commit."""
    from anxin.core.audit import audit_seal

    return audit_seal()


@db_periodic_task(crontab(minute="*"))
@lock_task("petitions-followup-catch-up")
def petitions_followup_catch_up_job() -> int:
    """Deferred intake: index and match the cases whose follow-up task never ran (a crash
    between commit and enqueue, a lost queue); safe to rerun (each case is done once)."""
    from anxin.core.audit import audit_seal
    from anxin.petitions.services import petitions_followup_catch_up

    done = petitions_followup_catch_up()
    audit_seal()
    return done


@db_periodic_task(crontab(hour="1", minute="10"))
@lock_task("petitions-close-due")
def petitions_close_due_job() -> int:
    """Close petitions whose request window lapsed, rated satisfied, or declined (daily)."""
    from anxin.petitions.services import petitions_close_due

    total = 0
    while closed := petitions_close_due():
        total += closed
    return total


@db_periodic_task(crontab(minute="*/15"))
@lock_task("supervision-sweep")
def supervision_sweep_job() -> int:
    """Deadline warnings and the escalation ladder (三色督办), set-based; safe to rerun."""
    from anxin.supervision.escalation import escalation_sweep

    result = escalation_sweep()
    return len(result.warned) + len(result.escalated)


@db_periodic_task(crontab(minute="*"))
@lock_task("supervision-outbox")
def supervision_outbox_job() -> int:
    """Send queued e-mails and text messages, each once, retrying failures with back-off."""
    from anxin.supervision.notifications import outbox_deliver

    total = 0
    while sent := outbox_deliver(limit=1000):
        total += sent
    return total


@db_periodic_task(crontab(minute="*/5"))
@lock_task("webhooks-requeue")
def webhooks_requeue_job() -> int:
    """Hand due webhook deliveries to the queue that never reached it (a crash after commit)."""
    from anxin.core.webhooks_delivery import webhooks_requeue_due

    return webhooks_requeue_due()


@db_periodic_task(crontab(hour="3", minute="40"))
@lock_task("idempotency-keys-purge")
def idempotency_keys_purge_job() -> int:
    """Delete the API's Idempotency-Key rows older than 24 hours (daily)."""
    from anxin.core.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()


@db_periodic_task(crontab(hour="3", minute="50"))
@lock_task("expired-sessions-purge")
def expired_sessions_purge_job() -> int:
    """Delete expired sessions from the database (daily): nothing of a session stays after it."""
    from anxin.core.services import expired_sessions_purge

    return expired_sessions_purge()


@db_periodic_task(crontab(hour="2", minute="30"))
@lock_task("personal-data-anonymise")
def personal_data_anonymise_job() -> int:
    """Remove identities past ANXIN_RETENTION_DAYS (个人信息保护法 Art. 19, 47), daily; audited."""
    from anxin.petitions.privacy import personal_data_anonymise

    counts = personal_data_anonymise(actor=None)
    return counts["petitions"] + counts["hazard_reporters"]


@db_periodic_task(crontab(minute="*/10"))
@lock_task("portal-submission-tokens-purge")
def portal_submission_tokens_purge_job() -> int:
    """Empty the portal's kept receipts after 30 minutes, delete tokens after 24 hours."""
    from anxin.portal.submissions import submission_tokens_purge

    return submission_tokens_purge()


@db_periodic_task(crontab(minute="17"))
@lock_task("safety-ledger-parsed-purge")
def ledger_parsed_purge_job() -> int:
    """Delete the ledger previews kept between upload and confirmation after 6 hours."""
    from anxin.safety.ledgers import ledger_parsed_purge

    return ledger_parsed_purge()


# --- a consumer (re)starts ------------------------------------------------------------------

_caught_up = threading.Lock()
_frozen = threading.Lock()


@on_startup()
def freeze_start_up() -> None:
    """Move what start-up allocated out of the garbage collector's reach, once per consumer.

    Django's imports, settings, URLconf and models are some hundreds of thousands of objects
    that live as long as the process; every full collection of the cyclic garbage collector
    walks them all again (about 0.1 s: most of the Python CPU of a 5,000-item sweep). After a
    collection of what start-up left behind, ``gc.freeze()`` puts the survivors in the
    permanent generation, which collections skip; what the jobs allocate later is collected as
    usual. Called by each worker thread; the first one freezes.
    """
    if not _frozen.acquire(blocking=False):
        return
    gc.collect()
    gc.freeze()


@on_startup()
def catch_up_at_start() -> None:
    """Enqueue the sweep and the outbox once when a consumer starts, not at their next tick.

    A job that was running when its consumer died (kill -9, OOM, power loss) is lost with it:
    Huey takes a task off the queue when a worker starts it. Its work is not: the sweep commits
    batch by batch and the outbox message by message, so a rerun does exactly what was left
    (bench/crash.py). Its lock is flushed at start (``HUEY["consumer"]`` in config/settings.py).
    Called by each worker thread; the first one enqueues.
    """
    if not _caught_up.acquire(blocking=False):
        return
    supervision_sweep_job()
    supervision_outbox_job()
