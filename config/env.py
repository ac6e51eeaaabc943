"""Strict helpers that read settings from the environment.

Every variable Anxin reads is documented in ``docs/configuration.md``. A value that cannot be
parsed is an error at start-up, never a silent default. Secrets may be given as ``NAME_FILE``
pointing at a file (Docker/Kubernetes secrets); the file's content wins over ``NAME``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


class EnvError(ValueError):
    pass


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EnvError(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise EnvError(f"{name}={raw!r} is not an integer") from exc
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


RATE_RE = re.compile(r"^(?P<count>\d+)/(?P<mult>\d*)(?P<unit>[smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(text: str) -> tuple[int, int] | None:
    """A rate limit: ``"10/m"`` → (10, 60); ``"100/5m"`` → (100, 300); ``"off"`` → None.

    Raises ValueError for anything else."""
    text = text.strip().lower()
    if text in {"off", "none", ""}:
        return None
    match = RATE_RE.match(text)
    if match is None or int(match["count"]) < 1 or match["mult"] == "0":
        raise ValueError(f"{text!r} is not a rate like 10/m, 100/5m or off")
    return int(match["count"]), int(match["mult"] or 1) * UNIT_SECONDS[match["unit"]]
