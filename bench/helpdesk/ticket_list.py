"""django-helpdesk 2.6.1's staff ticket list over N tickets (run in its own venv).

    var/bench/helpdesk-venv/bin/python bench/helpdesk/ticket_list.py --items 100000 \
        --database-url URL --repeat 20 > var/bench/helpdesk-list.json

The same throwaway project as ``escalate.py`` (``settings.configure``, PostgreSQL). Seeds N
open tickets (one bulk ``INSERT … SELECT generate_series``: ten queues, five owners, created
over a year) and a staff user, then times with Django's test client, in this process, what a
helpdesk user waits for before the first rows show:

- ``/tickets/`` — the list page (filters, saved queries, the table's shell), and
- ``/datatables_ticket_list/<query>`` — the JSON the page's datatable then loads, server-side
  paginated (``start``/``length``, the user's ``tickets_per_page`` rows, the default query:
  open and reopened tickets sorted by creation date), for the first page and at the depth of
  Anxin's ledger page 500 (``--page``; 50 rows a page there: rows 24,951 on, ``start=24950``).

"first page" = list page + first data request, one after the other (the browser makes the
second request once the first has loaded). Prints JSON {items, per_page, samples in ms …}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from escalate import configure  # noqa: E402


def seed(items: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from helpdesk.models import Queue, Ticket

    if Ticket.objects.count() == items:
        return
    assert not Ticket.objects.exists(), "a fresh database, please"
    queues = [
        Queue.objects.get_or_create(slug=f"q{i}", defaults={"title": f"热线 {i}"})[0]
        for i in range(10)
    ]
    owners = [
        get_user_model().objects.get_or_create(
            username=f"owner{i}", defaults={"email": f"owner{i}@example.test", "is_staff": True}
        )[0]
        for i in range(5)
    ]
    table = Ticket._meta.db_table
    queue_ids, owner_ids = [q.pk for q in queues], [o.pk for o in owners]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (title, queue_id, created, modified, submitter_email,
                assigned_to_id, status, on_hold, description, resolution, priority, due_date,
                last_escalation, secret_key, kbitem_id, merged_to_id)
            SELECT '工单 ' || g || ' 小区噪音扰民', (%s::bigint[])[1 + g %% 10],
                now() - (g %% 365) * interval '1 day' - (g %% 86400) * interval '1 second',
                now(), 'citizen' || g || '@example.test', (%s::bigint[])[1 + g %% 5], 1, false,
                '小区噪音扰民，请求处理。', NULL, 1 + g %% 5, NULL, NULL,
                md5(g::text), NULL, NULL
            FROM generate_series(1, %s) g
            """,
            [queue_ids, owner_ids, items],
        )
        cursor.execute(f"ANALYZE {table}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--page", type=int, default=500, help="Anxin's ledger page to match")
    parser.add_argument("--ledger-per-page", type=int, default=50)
    args = parser.parse_args()
    configure(args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from helpdesk.query import query_to_base64

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(args.items)
    seeded = time.perf_counter() - started
    staff, _ = get_user_model().objects.get_or_create(
        username="staff", defaults={"is_staff": True, "email": "staff@example.test"}
    )
    per_page = staff.usersettings_helpdesk.tickets_per_page
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    page_url = reverse("helpdesk:list")
    # the query the list page hands its datatable when no filter is chosen (ticket_list)
    default = {
        "filtering": {"status__in": [1, 2]},
        "sorting": "created",
        "search_string": "",
        "sortreverse": False,
    }
    data_url = reverse("helpdesk:datatables_ticket_list", args=[query_to_base64(default)])

    def get(url: str, params: dict[str, Any] | None = None) -> float:
        start = time.perf_counter()
        response = client.get(url, params or {})
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    def data(start: int) -> float:
        return get(data_url, {"draw": 1, "start": start, "length": per_page})

    deep_start = (args.page - 1) * args.ledger_per_page
    body = json.loads(client.get(data_url, {"draw": 1, "start": 0, "length": per_page}).content)
    assert body["recordsTotal"] == args.items and len(body["data"]) == per_page, body.keys()
    deep = json.loads(
        client.get(data_url, {"draw": 1, "start": deep_start, "length": per_page}).content
    )
    assert len(deep["data"]) == per_page
    get(page_url)  # warm: templates, URLconf
    page_ms, first_ms, deep_ms = [], [], []
    for _ in range(args.repeat):
        p = get(page_url)
        page_ms.append(p)
        first_ms.append(p + data(0))
        deep_ms.append(data(deep_start))
    print(
        json.dumps(
            {
                "items": args.items,
                "per_page": per_page,
                "page": args.page,
                "deep_start": deep_start,
                "seed_seconds": round(seeded, 1),
                "list_page_ms": page_ms,
                "first_page_ms": first_ms,
                "deep_page_ms": deep_ms,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
