"""django-helpdesk's staff ticket list beside Anxin's city-clerk ledger list (figures only).

    python -m bench.listcompare --helpdesk-json var/bench/helpdesk-list.json \
        --measure-json var/bench/measure-postgresql.json --out var/bench/listcompare.json

Reads the samples ``bench/helpdesk/ticket_list.py`` took (helpdesk's own venv, same PostgreSQL
cluster, N tickets) and the ledger figures ``bench.measure`` took of Anxin's list (the city
clerk, who sees every case, first page and page 500, same in-process test client), and writes
figures in the bench format:

- ``helpdesk ticket list first page p50/p95`` — the list page plus its first datatable request
  (what a helpdesk user waits for before the first rows show);
- ``helpdesk ticket list page 500 p50/p95`` — the datatable request for page 500;
- ``ledger vs helpdesk list ratio`` (and ``… page 500``) — helpdesk p95 / Anxin p95: how many
  times longer a helpdesk user waits for the list than an Anxin clerk for the ledger.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.measure import Bench, pctl


def figure(figures: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((f for f in figures if f["name"] == name), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--helpdesk-json", type=Path, required=True)
    parser.add_argument("--measure-json", type=Path, required=True)
    parser.add_argument("--db", default="postgresql")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    hd = json.loads(args.helpdesk_json.read_text())
    anxin = json.loads(args.measure_json.read_text()) if args.measure_json.exists() else []
    bench = Bench(args.db, hd["items"])
    page = hd["page"]
    samples = {
        "page (HTML only)": hd["list_page_ms"],
        "first page": hd["first_page_ms"],
        f"page {page}": hd["deep_page_ms"],
    }
    for which, ms in samples.items():
        bench.add(f"helpdesk ticket list {which} p50", pctl(ms, 0.5), "ms")
        bench.add(f"helpdesk ticket list {which} p95", pctl(ms, 0.95), "ms")
    pairs = [
        ("ledger vs helpdesk list ratio", "first page", "ledger city first page p95"),
        (
            f"ledger vs helpdesk list ratio page {page}",
            f"page {page}",
            f"ledger city page {page} p95",
        ),
    ]
    for name, which, ledger_name in pairs:
        ledger = figure(anxin, ledger_name)
        if ledger is None or not ledger["value"]:
            print(f"no {ledger_name!r} in {args.measure_json}: {name} left out", flush=True)
            continue
        helpdesk = pctl(samples[which], 0.95)
        bench.add(name, helpdesk / ledger["value"], "ratio", higher_is_better=True)
        print(
            f"{which}: helpdesk {helpdesk:.0f} ms p95 over {hd['items']} tickets "
            f"({hd['per_page']} a page) vs Anxin's city ledger {ledger['value']:.0f} ms p95 "
            f"over {ledger['items']} cases",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bench.figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
