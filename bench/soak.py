"""Load and soak on loopback (issue 8, item 4): ``make soak``.

    python -m bench.soak [--submitters 50] [--readers 20] [--seconds 120]

Runs against the database ``DATABASE_URL`` names (``scripts/soak.sh`` starts a throwaway
PostgreSQL, migrates it and loads the demo data): gunicorn with 2 workers and the Huey consumer
run as separate processes, then

- ``--submitters`` citizens each loop: open the portal's petition form (``GET``, which hands
  out the CSRF cookie and the one-time submission token), send it (``POST``), and read the
  receipt — an *acknowledged* submission is a 200 receipt showing its query code;
- ``--readers`` staff clients each loop over the API's petition and hazard lists with an API key.

Afterwards every acknowledged title is looked up: each must be stored exactly once. Prints the
counts, server errors (5xx) and p50/p95 per kind as JSON; exits 1 when a submission was lost or
duplicated or any response was a 5xx.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.intake import ROOT, free_port, start_gunicorn
from bench.measure import _setup, pctl

TOKEN_RE = re.compile(r'name="submission_token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CODE_RE = re.compile(r'id="query-code">\s*([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})')


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {"submit": [], "read": []}
        self.acked: list[str] = []
        self.server_errors = 0
        self.other_failures = 0

    def add(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latency[kind].append(ms)


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, body: str = "", **headers: str
) -> tuple[int, str, list[str]]:
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read().decode("utf-8", "replace")
    return response.status, data, response.headers.get_all("Set-Cookie") or []


def submitter(port: int, n: int, stop: float, tally: Tally, run: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = 0
    while time.monotonic() < stop:
        i += 1
        title = f"压测{run}-{n}-{i} 小区噪音扰民"
        try:
            status, page, cookies = _request(conn, "GET", "/portal/petitions/new/")
            if status >= 500:
                with tally.lock:
                    tally.server_errors += 1
                continue
            jar = http.cookies.SimpleCookie()
            for c in cookies:
                jar.load(c)
            cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
            token = TOKEN_RE.search(page)
            csrf = CSRF_RE.search(page)
            if not token or not csrf:
                with tally.lock:
                    tally.other_failures += 1
                continue
            form = {
                "csrfmiddlewaretoken": csrf.group(1),
                "submission_token": token.group(1),
                "kind": "claim",
                "category": "labour",
                "title": title,
                "content": "晚上十点以后广场舞音响声音很大，影响老人和孩子休息，请求协调处理。",
                "name": "张三",
                "phone": "13800000000",
            }
            start = time.perf_counter()
            status, page, _c = _request(
                conn,
                "POST",
                "/portal/petitions/new/",
                urlencode(form),
                **{
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                    "Referer": f"http://127.0.0.1:{port}/portal/petitions/new/",
                },
            )
            tally.add("submit", (time.perf_counter() - start) * 1000)
            with tally.lock:
                if status >= 500:
                    tally.server_errors += 1
                elif status == 200 and CODE_RE.search(page):
                    tally.acked.append(title)
                else:
                    tally.other_failures += 1
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with tally.lock:
                tally.other_failures += 1


def reader(port: int, key: str, stop: float, tally: Tally) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    paths = [
        "/api/v1/petitions?limit=50",
        "/api/v1/hazards?limit=50",
        "/api/v1/petitions?" + urlencode({"q": "噪音"}),
    ]
    i = 0
    while time.monotonic() < stop:
        path = paths[i % len(paths)]
        i += 1
        start = time.perf_counter()
        try:
            status, _body, _c = _request(conn, "GET", path, Authorization=f"Bearer {key}")
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with tally.lock:
                tally.other_failures += 1
            continue
        tally.add("read", (time.perf_counter() - start) * 1000)
        if status >= 500:
            with tally.lock:
                tally.server_errors += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submitters", type=int, default=50)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--out", type=Path, default=Path("var/soak/latest.json"))
    args = parser.parse_args(argv)
    # a SIGTERM (the CI stage's budget, Ctrl-C of the script) runs the `finally` blocks that stop
    # the servers started here, each in its own session
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    _setup()
    from io import StringIO

    from django.core.management import call_command
    from django.db.models import Count

    from anxin.petitions.models import Petition

    out = StringIO()
    call_command("create_api_key", user="clerk", name="soak readers", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    port = free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings", PYTHONPATH=str(ROOT))
    huey = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    web = start_gunicorn(port, env)
    tally = Tally()
    run = uuid.uuid4().hex[:8]
    stop = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=submitter, args=(port, n, stop, tally, run))
        for n in range(args.submitters)
    ] + [
        threading.Thread(target=reader, args=(port, key, stop, tally)) for _ in range(args.readers)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for proc in (web, huey):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (web, huey):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:  # a job still running: do not outlive the budget
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
    stored = dict(
        Petition.objects.filter(title__startswith=f"压测{run}-")
        .values_list("title")
        .annotate(n=Count("id"))
    )
    acked = set(tally.acked)
    result: dict[str, Any] = {
        "seconds": args.seconds,
        "submitters": args.submitters,
        "readers": args.readers,
        "acknowledged": len(tally.acked),
        "stored": sum(stored.values()),
        "lost": sum(1 for t in acked if t not in stored),
        "duplicated": sum(n - 1 for n in stored.values()),
        "unacknowledged_but_stored": sum(1 for t in stored if t not in acked),
        "server_errors": tally.server_errors,
        "other_failures": tally.other_failures,
        "submit_p50_ms": round(pctl(tally.latency["submit"], 0.5), 1)
        if tally.latency["submit"]
        else None,
        "submit_p95_ms": round(pctl(tally.latency["submit"], 0.95), 1)
        if tally.latency["submit"]
        else None,
        "read_p50_ms": round(pctl(tally.latency["read"], 0.5), 1)
        if tally.latency["read"]
        else None,
        "read_p95_ms": round(pctl(tally.latency["read"], 0.95), 1)
        if tally.latency["read"]
        else None,
        "reads": len(tally.latency["read"]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    ok = (
        result["lost"] == 0
        and result["duplicated"] == 0
        and result["server_errors"] == 0
        and result["acknowledged"] > 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
