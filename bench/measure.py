"""Measure Anxin's figures on the database ``DATABASE_URL`` names (see docs/performance.md).

Run by ``scripts/bench.sh`` (``make bench``), once per database, after ``seed_bulk``:

    python -m bench.measure --db postgresql --items 100000 --out var/bench/postgresql.json

Requests go through Django's test client in this process (the full middleware, view and
template stack; no network), so the figures are what a page costs the server. Each figure is
a dict {name, db, items, value, unit, target, ok}; targets are those of issue 7 and apply to
PostgreSQL at full scale (``ok`` is null where no target applies).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _setup() -> None:
    import django

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    django.setup()


def pctl(samples: list[float], q: float) -> float:
    """The q-quantile (0–1) of the samples, nearest-rank; milliseconds in, milliseconds out."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm: caches, prepared plans, templates
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


class Bench:
    def __init__(self, db: str, items: int) -> None:
        self.db = db
        self.items = items
        self.figures: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        target: float | None = None,
        *,
        higher_is_better: bool = False,
        items: int | None = None,
    ) -> None:
        ok = None
        if target is not None:
            ok = value >= target if higher_is_better else value <= target
        figure = {
            "name": name,
            "db": self.db,
            "items": self.items if items is None else items,
            "value": round(value, 3),
            "unit": unit,
            "target": target,
            "ok": ok,
        }
        self.figures.append(figure)
        print(json.dumps(figure, ensure_ascii=False), flush=True)


# --- personas -----------------------------------------------------------------------------------


def personas() -> dict[str, Any]:
    """A township handler and a city clerk (created once, no password prompts)."""
    from django.db.models import Count

    from anxin.core.choices import Role, UnitKind
    from anxin.core.models import Unit, User
    from anxin.core.services import role_assign, user_create
    from anxin.petitions.models import Petition

    out: dict[str, Any] = {}
    city = Unit.objects.filter(kind=UnitKind.CITY).order_by("pk").first()
    # the township with the most cases: the worst case for a township ledger
    busiest = (
        Petition.objects.values("current_unit")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .filter(current_unit__kind=UnitKind.TOWNSHIP)
        .first()
    )
    township = Unit.objects.get(pk=busiest["current_unit"]) if busiest else city
    assert city is not None and township is not None, "load_units first"
    for username, role, unit in [
        ("bench_township", Role.HANDLER, township),
        ("bench_city", Role.CLERK, city),
    ]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _ = user_create(
                actor=None,
                username=username,
                name=username,
                unit=unit,
                password="Bench-2026-pass",
                must_change_password=False,
            )
            role_assign(actor=None, user=user, role=role, unit=unit)
        out[username] = user
    return out


def client_for(user: Any) -> Any:
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


# --- figures ------------------------------------------------------------------------------------


def ledger(bench: Bench, people: dict[str, Any], repeat: int) -> None:
    """Ledger list, first page and page 500 (or the last page a smaller ledger has)."""
    from django.urls import reverse

    from anxin.core.pagination import DEFAULT_LIMIT, encode_cursor
    from anxin.petitions import selectors

    url = reverse("petition_list")
    for username, label in [("bench_township", "township"), ("bench_city", "city")]:
        user = people[username]
        client = client_for(user)
        qs = selectors.petition_list(user=user)
        total = qs.count()
        page = max(1, min(500, (total - 1) // DEFAULT_LIMIT + 1))
        cursor = None
        if page > 1:
            # the row ending page (page - 1): where "next" would have taken the user
            last = qs.order_by(*selectors.LEDGER_ORDERING).values_list("received_on", "id")[
                (page - 1) * DEFAULT_LIMIT - 1
            ]
            cursor = encode_cursor([last[0], last[1]])

        def first(c: Any = client) -> None:
            assert c.get(url).status_code == 200

        def deep(c: Any = client, k: str | None = cursor) -> None:
            assert c.get(url, {"cursor": k} if k else {}).status_code == 200

        def count(c: Any = client) -> None:
            # the "N items" the ledger page loads after it is shown (htmx)
            assert c.get(reverse("petition_list_count")).status_code == 200

        steps: list[tuple[str, Callable[[], None]]] = [
            ("first page", first),
            (f"page {page}", deep),
            ("count", count),
        ]
        for which, fn in steps:
            samples = timed(fn, repeat)
            bench.add(f"ledger {label} {which} p50", pctl(samples, 0.5), "ms", items=total)
            bench.add(f"ledger {label} {which} p95", pctl(samples, 0.95), "ms", 150, items=total)


SEARCH_2 = ["工资", "噪音", "拆迁", "物业", "补偿", "违建", "社保", "停车", "学校", "医院"]
SEARCH_4 = [
    "拖欠工资", "违章建筑", "社会保险", "噪音扰民", "安置房屋", "消防通道", "征地补偿",
    "老旧小区", "电动车辆", "农民工资",
]  # fmt: skip


def search(bench: Bench, people: dict[str, Any], repeat: int) -> None:
    from django.urls import reverse

    url = reverse("petition_list")
    client = client_for(people["bench_city"])
    for label, words in [("2-character", SEARCH_2), ("4-character", SEARCH_4)]:
        samples: list[float] = []
        for word in words:

            def query(w: str = word) -> None:
                assert client.get(url, {"q": w}).status_code == 200

            samples += timed(query, repeat)
        bench.add(f"search {label} p50", pctl(samples, 0.5), "ms")
        bench.add(f"search {label} p95", pctl(samples, 0.95), "ms", 300)


def export(bench: Bench, people: dict[str, Any]) -> None:
    """The streamed .xlsx ledger export of everything the city clerk sees: time and peak RSS,
    in a fresh process (``python -m bench.measure --only export-here``) that has loaded Django
    and the URLconf but not the search's jieba dictionary (~65 MB), as an export task or a
    worker that has served no search would be."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export.json"
        subprocess.run(
            [sys.executable, "-m", "bench.measure", "--db", bench.db, "--items",
             str(bench.items), "--only", "export-here", "--out", str(out)],
            check=True,
        )  # fmt: skip
        for figure in json.loads(out.read_text()):
            bench.figures.append(figure)


def _proc_status(key: str) -> float:
    """A line of /proc/self/status in MB (VmRSS: now; VmHWM: the peak since exec or reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def export_here(bench: Bench, people: dict[str, Any]) -> None:
    """The export in this process. Its peak RSS is VmHWM, reset before the export (writing 5
    to /proc/self/clear_refs): ``getrusage``'s ru_maxrss survives exec, so a fresh process
    would report its parent's peak — and the parent's peak is Argon2's 100 MiB from hashing
    the bench personas' passwords, which is what "196 MB before the export" was."""
    from django.urls import reverse

    from anxin.petitions import selectors

    client = client_for(people["bench_city"])
    rows = selectors.petition_list(user=people["bench_city"]).count()
    before = _proc_status("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    start = time.perf_counter()
    response = client.get(reverse("petition_export"))
    size = sum(len(chunk) for chunk in response.streaming_content)
    elapsed = time.perf_counter() - start
    peak = _proc_status("VmHWM")
    bench.add("export petitions .xlsx wall time", elapsed, "s", items=rows)
    bench.add("export petitions .xlsx rows/s", rows / elapsed, "rows/s", items=rows)
    bench.add("export petitions .xlsx size", size / 1e6, "MB", items=rows)
    bench.add("export petitions .xlsx peak RSS", peak, "MB", 300, items=rows)
    bench.add("export RSS before the export", before, "MB", items=rows)


def ledger_import(bench: Bench, rows: int) -> None:
    """The hazard ledger import: a generated ledger of ``rows`` rows (100,000 at small and
    full scale), uploaded, previewed, confirmed and saved (bench/imports.py)."""
    import tempfile

    from bench.imports import measure_import

    def add(
        name: str, value: float, unit: str, target: float | None, higher: bool, items: int
    ) -> None:
        bench.add(name, value, unit, target, higher_is_better=higher, items=items)

    with tempfile.TemporaryDirectory() as tmp:
        details = measure_import(add, rows, Path(tmp))
    print(json.dumps(details, ensure_ascii=False), flush=True)


def dashboards(bench: Bench, people: dict[str, Any], repeat: int) -> None:
    """The city dashboard page (from the rollups)."""
    from django.urls import reverse

    client = client_for(people["bench_city"])
    url = reverse("dashboard_city")

    def page() -> None:
        assert client.get(url).status_code == 200

    samples = timed(page, repeat)
    bench.add("city dashboard p50", pctl(samples, 0.5), "ms")
    bench.add("city dashboard p95", pctl(samples, 0.95), "ms", 300)


def kpis(bench: Bench, people: dict[str, Any], repeat: int) -> None:
    """The ``kpis`` endpoint for the city, for the last 365 days (every figure)."""
    import datetime as dt

    from django.utils import timezone

    from anxin.core.models import Unit

    client = client_for(people["bench_city"])
    root = Unit.objects.filter(parent__isnull=True).order_by("pk").values_list("code", flat=True)
    today = timezone.localdate()
    params = {
        "unit": root[0],
        "from": (today - dt.timedelta(days=364)).isoformat(),
        "to": today.isoformat(),
    }

    def get() -> None:
        assert client.get("/api/v1/kpis", params).status_code == 200

    samples = timed(get, repeat)
    bench.add("kpis for a year p50", pctl(samples, 0.5), "ms")
    bench.add("kpis for a year p95", pctl(samples, 0.95), "ms", 300)


def sweep(bench: Bench) -> None:
    """The escalation sweep over every open clock of the bulk data (it writes its steps)."""
    from django.db import connection

    from anxin.supervision.escalation import escalation_sweep
    from anxin.supervision.models import Clock

    open_clocks = Clock.objects.open().count()
    executed = [0]

    def count(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        executed[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        start = time.perf_counter()
        result = escalation_sweep()
        seconds = time.perf_counter() - start
    bench.add("sweep of all open items wall time", seconds, "s", 30, items=open_clocks)
    bench.add("sweep of all open items queries", executed[0], "queries", items=open_clocks)
    bench.add(
        "sweep steps and warnings recorded",
        len(result.warned) + len(result.escalated),
        "rows",
        items=open_clocks,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--only",
        default="",
        help="comma list: ledger,search,export,dashboards,kpis,sweep,import (export-here: the "
        "export in this process)",
    )
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    _setup()
    from django.conf import settings

    settings.DEBUG = False
    bench = Bench(args.db, args.items)
    people = personas()
    only = set(filter(None, args.only.split(",")))
    steps: list[tuple[str, Callable[[], None]]] = [
        ("ledger", lambda: ledger(bench, people, args.repeat)),
        ("search", lambda: search(bench, people, max(3, args.repeat // 4))),
        ("export", lambda: export(bench, people)),
        ("dashboards", lambda: dashboards(bench, people, args.repeat)),
        ("kpis", lambda: kpis(bench, people, args.repeat)),
        ("sweep", lambda: sweep(bench)),  # it writes escalation rows
        # last: it adds hazards (and their clocks) to the database
        ("import", lambda: ledger_import(bench, args.import_rows)),
    ]
    if only == {"export-here"}:
        steps = [("export-here", lambda: export_here(bench, people))]
    for name, step in steps:
        if not only or name in only:
            step()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bench.figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
