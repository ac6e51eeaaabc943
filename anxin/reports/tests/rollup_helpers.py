"""Helpers of the rollup tests: the rollups as plain sums, comparable across incremental and
rebuilt rows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from anxin.reports.models_rollups import ROLLUPS


def snapshot() -> dict[str, dict[tuple[Any, ...], tuple[int, ...]]]:
    out: dict[str, dict[tuple[Any, ...], tuple[int, ...]]] = {}
    for model in ROLLUPS:
        counters: tuple[str, ...] = model.COUNTERS  # type: ignore[attr-defined]
        dims = [
            f.attname
            for f in model._meta.concrete_fields
            if f.name not in counters and not f.primary_key
        ]
        width = len(counters)
        sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * width)  # noqa: B023
        for row in model._default_manager.values(*dims, *counters):
            key = tuple(row[d] for d in dims)
            for i, c in enumerate(counters):
                sums[key][i] += row[c]
        out[model.__name__] = {k: tuple(v) for k, v in sums.items() if any(v)}
    return out
