"""Intake throughput under gunicorn: petitions posted by concurrent clients on loopback.

    python -m bench.intake --db postgresql --items N --out var/bench/intake-postgresql.json

Starts gunicorn (2 sync workers, the project's WSGI app with ``bench.urls`` adding one bare
view) on a free loopback port, then for ``--seconds`` each:

1. ``--clients`` threads POST petitions to ``/api/v1/petitions`` with an API key (the full
   path: validation, numbering, the accept_by clock, jieba indexing, repeat matching, audit);
2. the same threads POST the same JSON to ``/bench/bare/``, a plain Django view that parses it
   and answers 201 — the cost of the server, the middleware and the framework alone.

Both paths are first warmed for ``--warmup`` seconds (untimed: imports, connections,
prepared plans) so that the ratio compares steady states.

``intake_vs_bare`` = (petitions/s) / (bare requests/s). Every acknowledged petition (201 with
an id, the warm-up's too) is then looked up in the database: ``intake lost`` counts
acknowledged petitions not stored (must be 0) and ``intake duplicated`` rows stored twice. The
web workers' resident memory after the run is reported too (``web worker RSS``).

Intake is deferred (docs/performance.md): the search tokens and repeat matching of each case
run after its commit in a Huey task. ``intake follow-up pending`` is how many acknowledged
cases still wait for it when the timed run ends; with ``--consumer`` a Huey consumer (one
worker) runs beside gunicorn during the whole measurement — competing for the same cores, as
in production — and ``intake follow-up drained`` is how long after the run the last one took.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.measure import Bench, _setup, pctl

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning",
        "--timeout", "60",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def start_consumer(env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "manage.py", "run_huey", "--workers", "1", "--quiet"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def worker_rss_mb(master: int) -> list[float]:
    out = []
    for pid in Path("/proc").iterdir():
        if not pid.name.isdigit():
            continue
        try:
            status = (pid / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master) and "VmRSS" in fields:
            out.append(int(fields["VmRSS"].split()[0]) / 1024)
    return out


def hammer(
    port: int, path: str, bodies: Any, headers: dict[str, str], clients: int, seconds: float
) -> tuple[list[float], list[dict[str, Any]], int]:
    """POST for ``seconds`` from ``clients`` threads; (latencies ms, acknowledged, failures)."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    acked: list[dict[str, Any]] = []
    failures = [0]
    lock = threading.Lock()

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = 0
        while time.monotonic() < stop:
            body = bodies(n, i)
            i += 1
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=json.dumps(body), headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    failures[0] += 1
                continue
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if status == 201:
                    latencies.append(elapsed)
                    acked.append({"title": body["title"], "response": json.loads(data or b"{}")})
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, acked, failures[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--consumer", action="store_true", help="run a Huey consumer beside")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    _setup()
    from django.core.management import call_command
    from django.db.models import Count

    from anxin.core.choices import Role, UnitKind
    from anxin.core.models import Unit, User
    from anxin.core.services import role_assign, user_create
    from anxin.petitions.models import Category, Petition

    city = Unit.objects.filter(kind=UnitKind.CITY).order_by("pk").first()
    assert city is not None
    user = User.objects.filter(username="bench_intake").first()
    if user is None:
        user, _ = user_create(
            actor=None,
            username="bench_intake",
            name="bench_intake",
            unit=city,
            password="Bench-2026-pass",
            must_change_password=False,
        )
        role_assign(actor=None, user=user, role=Role.CLERK, unit=city)
    from io import StringIO

    out = StringIO()
    call_command("create_api_key", user="bench_intake", name="bench intake", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    category = Category.objects.filter(is_active=True).order_by("pk").first()
    assert category is not None
    run = uuid.uuid4().hex[:8]

    serial = itertools.count()  # every body's title is unique across the phases

    def body(n: int, i: int) -> dict[str, Any]:
        return {
            "channel": "web",
            "kind": "claim",
            "category": category.code,
            "title": f"压测{run}-{n}-{next(serial)} 小区噪音扰民",
            "content": "晚上十点以后广场舞音响声音很大，影响老人和孩子休息，请求协调处理。",
            "unit": city.code,
            "complainants": [{"name": "张三", "phone": "13800000000"}],
        }

    port = free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings", PYTHONPATH=str(ROOT))
    proc = start_gunicorn(port, env)
    consumer = start_consumer(env) if args.consumer else None
    bench = Bench(args.db, args.items)
    drained: float | None = None
    try:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        bare_headers = {"Content-Type": "application/json"}
        _l, warm_acked, warm_failed = hammer(
            port, "/api/v1/petitions", body, headers, args.clients, args.warmup
        )
        hammer(port, "/bench/bare/", body, bare_headers, args.clients, args.warmup)
        lat, acked, failed = hammer(
            port, "/api/v1/petitions", body, headers, args.clients, args.seconds
        )
        ended = time.monotonic()
        titles = [a["title"] for a in warm_acked + acked]
        pending = Petition.objects.filter(title__in=titles, followup_pending=True).count()
        bare_lat, bare_acked, bare_failed = hammer(
            port, "/bench/bare/", body, bare_headers, args.clients, args.seconds
        )
        rss = worker_rss_mb(proc.pid)
        if consumer is not None:
            while time.monotonic() - ended < 300:
                if not Petition.objects.filter(title__in=titles, followup_pending=True).exists():
                    drained = time.monotonic() - ended
                    break
                time.sleep(0.5)
    finally:
        for p in (proc, consumer):
            if p is not None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=30)
    rate = len(acked) / args.seconds
    bare_rate = len(bare_acked) / args.seconds
    bench.add("intake petitions/s", rate, "req/s")
    bench.add("intake p95", pctl(lat, 0.95) if lat else 0.0, "ms")
    bench.add("bare view requests/s", bare_rate, "req/s")
    bench.add("intake_vs_bare", rate / bare_rate if bare_rate else 0.0, "ratio", 0.4,
              higher_is_better=True)  # fmt: skip
    bench.add("bare p95", pctl(bare_lat, 0.95) if bare_lat else 0.0, "ms")
    bench.add("intake failed requests", failed + warm_failed + bare_failed, "requests", 0)
    bench.add("intake follow-up pending at the end", pending, "petitions")
    if consumer is not None:
        # the bare run came in between: this is an upper bound of the catch-up time
        bench.add("intake follow-up drained after", drained if drained is not None else -1, "s")
    stored = dict(
        Petition.objects.filter(title__in=titles).values_list("title").annotate(n=Count("id"))
    )
    bench.add("intake lost", sum(1 for t in titles if t not in stored), "petitions", 0)
    bench.add("intake duplicated", sum(n - 1 for n in stored.values()), "petitions", 0)
    bench.add("web worker RSS (max)", max(rss) if rss else 0.0, "MB", 250)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bench.figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
