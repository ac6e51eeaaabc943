"""The escalation ladder setting is parsed strictly: four ascending whole numbers from 0."""

from __future__ import annotations

import pytest

from config.env import EnvError
from config.settings import _escalation_days


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, [0, 2, 5, 10]), ("0,1,3,7", [0, 1, 3, 7]), (" 1, 1, 2, 2 ", [1, 1, 2, 2])],
)
def test_good_values(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("ANXIN_ESCALATION_WORKING_DAYS", raising=False)
    else:
        monkeypatch.setenv("ANXIN_ESCALATION_WORKING_DAYS", value)
    assert _escalation_days("ANXIN_ESCALATION_WORKING_DAYS", [0, 2, 5, 10]) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "0,2,x,10",
            "ANXIN_ESCALATION_WORKING_DAYS='0,2,x,10' must be four whole numbers, e.g. 0,2,5,10",
        ),
        (
            "0,2,5",
            "ANXIN_ESCALATION_WORKING_DAYS='0,2,5' must be four ascending numbers from 0, e.g. 0,2,5,10",
        ),
        (
            "0,5,2,10",
            "ANXIN_ESCALATION_WORKING_DAYS='0,5,2,10' must be four ascending numbers from 0, e.g. 0,2,5,10",
        ),
        (
            "-1,2,5,10",
            "ANXIN_ESCALATION_WORKING_DAYS='-1,2,5,10' must be four ascending numbers from 0, e.g. 0,2,5,10",
        ),
    ],
)
def test_bad_values_stop_start_up(monkeypatch, value, message):
    monkeypatch.setenv("ANXIN_ESCALATION_WORKING_DAYS", value)
    with pytest.raises(EnvError) as exc:
        _escalation_days("ANXIN_ESCALATION_WORKING_DAYS", [0, 2, 5, 10])
    assert str(exc.value) == message
