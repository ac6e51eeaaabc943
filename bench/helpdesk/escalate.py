"""django-helpdesk 2.6.1's ``escalate_tickets`` over N overdue tickets (run in its own venv).

    var/bench/helpdesk-venv/bin/python bench/helpdesk/escalate.py --items 5000 --database-url URL

Makes a throwaway project in memory (``settings.configure``): helpdesk with its dependencies,
Django's dummy e-mail backend (counting the messages handed to it), the given PostgreSQL
database. Creates one queue that escalates after one day and N open tickets created three days
ago, priority 3 (escalated once to 2), each assigned to an owner with an e-mail address and,
like Anxin's items, without a submitter address to copy (``--submitter-email`` adds one: two
e-mails per ticket). Loads the URLconf, then times ``call_command("escalate_tickets")``,
counting its queries and the CPU seconds of this process and of its PostgreSQL backend; checks
the end state (every ticket escalated once, one follow-up each, the e-mails handed to the
backend) and prints JSON {items, seconds, cpu_seconds, queries, escalated, followups, emails}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.mail.backends.dummy import EmailBackend as DummyBackend


class CountingBackend(DummyBackend):
    """Django's dummy backend that counts what it is handed."""

    handed = 0

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        CountingBackend.handed += len(email_messages)
        return super().send_messages(email_messages)


def backend_cpu(connection) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds of this connection's PostgreSQL backend (the cluster is local)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def configure(url: str) -> None:
    import django
    from django.conf import settings

    parts = urlsplit(url)
    host = unquote(parts.hostname or "") if parts.hostname else ""
    if "%2F" in url or "%2f" in url:  # a unix-socket directory in the host part
        host = unquote(url.split("@", 1)[1].split("/", 1)[0])
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",
        USE_TZ=True,
        TIME_ZONE="Asia/Shanghai",
        ALLOWED_HOSTS=["*"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": parts.path.lstrip("/"),
                "USER": unquote(parts.username or ""),
                "HOST": host,
            }
        },
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.humanize",
            "django.contrib.sites",
            "rest_framework",
            "helpdesk",
        ],
        SITE_ID=1,
        EMAIL_BACKEND=f"{__name__}.CountingBackend",
        DEFAULT_FROM_EMAIL="helpdesk@example.test",
        HELPDESK_TEAMS_MODE_ENABLED=False,
        HELPDESK_KANBAN_ENABLED=False,
        ROOT_URLCONF=__name__,  # urlpatterns below, set once the apps are ready
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    from django.urls import include, path

    globals()["urlpatterns"] = [path("helpdesk/", include("helpdesk.urls"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--submitter-email", action="store_true")
    args = parser.parse_args()
    configure(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from helpdesk.models import FollowUp, Queue, Ticket

    call_command("migrate", verbosity=0)
    Ticket.objects.all().delete()
    Queue.objects.all().delete()
    owner, _ = get_user_model().objects.get_or_create(
        username="owner", defaults={"email": "owner@example.test", "is_staff": True}
    )
    queue = Queue.objects.create(
        title="12345", slug="hotline", escalate_days=1, email_address="q@example.test"
    )
    created = timezone.now() - dt.timedelta(days=3)
    Ticket.objects.bulk_create(
        [
            Ticket(
                title=f"工单 {i}",
                queue=queue,
                submitter_email=f"citizen{i}@example.test" if args.submitter_email else None,
                assigned_to=owner,
                status=Ticket.OPEN_STATUS,
                priority=3,
                created=created,
                modified=created,
                description="小区噪音扰民，请求处理。",
            )
            for i in range(args.items)
        ],
        batch_size=2000,
    )
    Ticket.objects.filter(queue=queue).update(created=created)  # auto_now_add on create
    executed = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed[0] += 1
        return execute(sql, params, many, context)

    # a long-running process has its URLconf loaded and its reverse map built (the e-mail
    # context reverses the ticket's URL)
    from django.urls import reverse

    reverse("helpdesk:list")
    # a counting wrapper, not CaptureQueriesContext (which keeps only the last 9,000 queries)
    cpu0 = time.process_time() + backend_cpu(connection)
    with connection.execute_wrapper(count):
        start = time.perf_counter()
        call_command("escalate_tickets", verbosity=0)
        seconds = time.perf_counter() - start
    cpu = time.process_time() + backend_cpu(connection) - cpu0
    escalated = Ticket.objects.filter(queue=queue, priority=2).count()
    followups = FollowUp.objects.filter(ticket__queue=queue).count()
    print(
        json.dumps(
            {
                "items": args.items,
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu, 3),
                "queries": executed[0],
                "escalated": escalated,
                "followups": followups,
                "emails": CountingBackend.handed,
                "emails_per_ticket": 2 if args.submitter_email else 1,
            }
        )
    )
    expected = args.items * (2 if args.submitter_email else 1)
    ok = escalated == followups == args.items and CountingBackend.handed == expected
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
