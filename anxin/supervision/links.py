"""Links from a clock to its item, without importing the domain apps.

A domain app registers, in its ``AppConfig.ready``, how to turn ids of its ``subject_type`` into
page URLs — one query for many ids::

    from anxin.supervision.links import register_subject_urls
    register_subject_urls("safety.hazard", hazard_urls)   # (ids) -> {id: url}

Pages of supervision then link each clock to its item; an item type nobody registered has no
link. The resolver returns URLs of pages that check access themselves (404 outside scope).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

Resolver = Callable[[list[int]], dict[int, str]]

_RESOLVERS: dict[str, Resolver] = {}
_LABELS: dict[str, Any] = {}
_CLOCK_LABELS: dict[tuple[str, str], Any] = {}


def register_subject_urls(
    subject_type: str,
    resolver: Resolver,
    *,
    label: Any = None,
    clock_labels: dict[str, Any] | None = None,
) -> None:
    """Register the item type's URL resolver, its label and its clocks' labels (lazy texts)."""
    _RESOLVERS[subject_type] = resolver
    if label is not None:
        _LABELS[subject_type] = label
    for name, text in (clock_labels or {}).items():
        _CLOCK_LABELS[(subject_type, name)] = text


def subject_label(subject_type: str) -> str:
    return str(_LABELS.get(subject_type, subject_type))


def clock_label(subject_type: str, name: str) -> str:
    return str(_CLOCK_LABELS.get((subject_type, name), name))


def labels() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Every registered label in the active language (for building SQL ``CASE`` terms)."""
    return (
        {k: str(v) for k, v in _LABELS.items()},
        {k: str(v) for k, v in _CLOCK_LABELS.items()},
    )


def uid_urls(model_label: str, url_name: str) -> Resolver:
    """A resolver for a model with an opaque ``uid`` whose page takes it: ``/…/<uid>/``."""

    def resolve(ids: list[int]) -> dict[int, str]:
        from django.apps import apps
        from django.urls import reverse

        model = apps.get_model(model_label)
        rows = model._default_manager.filter(pk__in=ids).values_list("pk", "uid")
        return {pk: reverse(url_name, args=[str(uid)]) for pk, uid in rows}

    return resolve


def subject_urls(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """URLs of the items ``(subject_type, subject_id)``: one query per item type."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for subject_type, subject_id in keys:
        by_type[subject_type].append(subject_id)
    out: dict[tuple[str, int], str] = {}
    for subject_type, ids in by_type.items():
        resolver = _RESOLVERS.get(subject_type)
        if resolver is None:
            continue
        for pk, url in resolver(sorted(set(ids))).items():
            out[(subject_type, pk)] = url
    return out
