"""Merge the per-database figure files into ``bench/results/latest.json`` with machine info."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        pg = subprocess.run(
            ["bash", "-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if pg:
            out = subprocess.run([f"{pg}/postgres", "--version"], capture_output=True, text=True)
            info["postgresql"] = out.stdout.strip()
    except OSError:
        pass
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


#: figures of the side-by-side runs against django-helpdesk 2.6.1 (docs/performance.md)
SIDE_BY_SIDE = (
    "escalation_speedup",
    "escalation_speedup (CPU)",
    "helpdesk escalate_tickets wall time",
    "escalation total (sweep + e-mails)",
    "helpdesk ticket list first page p95",
    "ledger vs helpdesk list ratio",
)


def side_by_side(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison figures with django-helpdesk, in a short list of their own."""
    picked = [f for f in figures if f["name"] in SIDE_BY_SIDE or f["name"].startswith("ledger vs")]
    return [
        {k: f[k] for k in ("name", "items", "value", "unit", "target", "ok")}
        for f in sorted(picked, key=lambda f: (f["name"], f["items"]))
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    figures: list[dict[str, Any]] = []
    for path in args.files:
        if path.exists():
            figures += json.loads(path.read_text())
    result = {
        "scale": args.scale,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": figures,
        "side_by_side_with_django_helpdesk": side_by_side(figures),
        "failed_targets": [f"{f['db']}: {f['name']}" for f in figures if f["ok"] is False],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    width = max((len(f["name"]) for f in figures), default=10)
    for f in figures:
        mark = {True: "ok", False: "MISSED", None: ""}[f["ok"]]
        target = "" if f["target"] is None else f"(target {f['target']})"
        print(
            f"{f['db']:<10} {f['name']:<{width}} {f['value']:>12} {f['unit']:<10} {target} {mark}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
