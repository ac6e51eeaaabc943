"""The monthly petition rollup (:class:`PetitionMonthly`): kept with the daily rows by the
intake, rebuilt from them, and read by the dashboards with the daily rows' very figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from anxin.petitions.models import Category
from anxin.reports import dashboards, rollups
from anxin.reports.models_rollups import PetitionDaily, PetitionMonthly
from anxin.reports.tests.rollup_helpers import snapshot

pytestmark = pytest.mark.django_db


def _from_daily(user: Any, period: Any, root: Any = None) -> dict[str, Any]:
    """The three charts' counts read from the daily rows (the dashboards' former read)."""
    grouped = (
        dashboards.petition_rows(user, root)
        .filter(day__gte=period.start, day__lte=period.end)
        .annotate(month=TruncMonth("day"))
        .values("month", *dashboards.PETITION_DIMS)
        .annotate(n=Sum("received"))
        .order_by()
    )
    out: dict[str, Any] = {
        d: defaultdict(lambda: defaultdict(int)) for d in dashboards.PETITION_DIMS
    }
    for row in grouped:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        for dim in dashboards.PETITION_DIMS:
            out[dim][row[dim]][month] += int(row["n"])
    return {dim: {k: dict(v) for k, v in by.items()} for dim, by in out.items()}


@pytest.fixture
def spread(personas: Any, register: Any, claim_category: Category) -> list[Any]:
    """Cases on both sides of month ends, in three units, channels, kinds and categories."""
    other = Category.objects.exclude(pk=claim_category.pk).order_by("code").first()
    assert other is not None
    this = dashboards.month_start(timezone.localdate())
    c = personas.city
    cases = []
    plan = [
        (
            dashboards.add_months(this, -1) - dt.timedelta(days=1),
            "web",
            "claim",
            claim_category,
            c.C,
        ),
        (dashboards.add_months(this, -1), "web", "claim", claim_category, c.C),
        (dashboards.add_months(this, -1), "visit", "suggestion", other, c.D1),
        (this - dt.timedelta(days=1), "visit", "claim", other, c.T1),
        (this, "letter", "suggestion", claim_category, c.T1),
        (this, "web", "claim", other, c.D2),
        (dashboards.add_months(this, -11), "phone", "claim", claim_category, c.D1),
        (dashboards.add_months(this, -12), "phone", "claim", claim_category, c.D1),  # too old
    ]
    for i, (day, channel, kind, category, unit) in enumerate(plan):
        cases.append(
            register(
                received_on=min(day, timezone.localdate()),
                channel=channel,
                kind=kind,
                category=category,
                unit=unit,
                title=f"事项{i}号",
            ).petition
        )
    return cases


@pytest.mark.parametrize("who", ["viewer", "parent", "same", "outsider"])
def test_every_petition_chart_equals_the_daily_rows(personas: Any, spread: Any, who: str) -> None:
    user = getattr(personas, who)
    period = dashboards.last_months()
    for root in (None, personas.city.D1, personas.city.T1):
        if root is not None and who in ("outsider", "same") and root == personas.city.D1:
            continue
        daily = _from_daily(user, period, root)
        monthly = dashboards.petitions_received(user, period, root)
        assert monthly == daily, (who, root)
        for dim in ("channel", "kind", "category"):
            assert dashboards.petitions_by(user, period, dim, root) == dashboards.petitions_by(
                user, period, dim, root, received=daily
            ), (who, root, dim)
    if who == "viewer":  # the figures are there: 7 of the 8 cases fall in the year shown
        counts = dashboards.petitions_received(user, period)
        assert sum(n for by in counts["channel"].values() for n in by.values()) == 7
    if who == "parent":  # D1 and its townships: the cases of D1 and T1
        counts = dashboards.petitions_received(user, period)
        assert sum(n for by in counts["kind"].values() for n in by.values()) == 4


def test_the_intake_counts_each_case_in_three_monthly_rows(
    personas: Any, register: Any, claim_category: Category
) -> None:
    register(received_on=dt.date(2026, 9, 30), channel="visit")
    register(received_on=dt.date(2026, 9, 1), channel="web", title="另一件事情")
    register(received_on=dt.date(2026, 10, 1), channel="web", title="第三件事情")
    rows = set(PetitionMonthly.objects.values_list("month", "unit_id", "dim", "value", "received"))
    sep, oct_, c = dt.date(2026, 9, 1), dt.date(2026, 10, 1), personas.city.C.pk
    assert rows == {
        (sep, c, "channel", "visit", 1),
        (sep, c, "channel", "web", 1),
        (sep, c, "kind", "claim", 2),
        (sep, c, "category", str(claim_category.pk), 2),
        (oct_, c, "channel", "web", 1),
        (oct_, c, "kind", "claim", 1),
        (oct_, c, "category", str(claim_category.pk), 1),
    }


def test_the_monthly_upsert_creates_then_adds(personas: Any) -> None:
    key = (dt.date(2026, 9, 1), personas.city.C.pk, "channel", "web")
    rollups.bump_monthly({key: 2})
    rollups.bump_monthly({key: 3, (*key[:3], "fax"): 1})
    assert dict(PetitionMonthly.objects.values_list("value", "received")) == {"web": 5, "fax": 1}


def test_rebuild_equals_increments_across_months(spread: Any) -> None:
    incremental = snapshot()
    assert incremental["PetitionMonthly"]
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert snapshot() == incremental
    assert f"petitionmonthly: {PetitionMonthly.objects.count()} rows" in out.getvalue()
    # a month's rows are its daily rows' sums
    for dim, field in rollups.MONTHLY_DIMS:
        monthly = dict(
            PetitionMonthly.objects.filter(dim=dim)
            .values_list("value")
            .annotate(n=Sum("received"))
            .values_list("value", "n")
        )
        daily = {
            str(k): n
            for k, n in PetitionDaily.objects.values_list(field)
            .annotate(n=Sum("received"))
            .values_list(field, "n")
        }
        assert monthly == daily, dim


def test_a_ranged_rebuild_recomputes_the_whole_months_it_touches(spread: Any) -> None:
    incremental = snapshot()
    this = dashboards.month_start(timezone.localdate())
    last = dashboards.add_months(this, -1)
    PetitionMonthly.objects.update(received=9)
    rollups.rebuild(start=last + dt.timedelta(days=3), end=last + dt.timedelta(days=4))
    rows = snapshot()["PetitionMonthly"]
    # last month is recomputed in full from its daily rows; the others are left as they were
    assert {k: v for k, v in rows.items() if k[0] == last} == {
        k: v for k, v in incremental["PetitionMonthly"].items() if k[0] == last
    }
    assert {v for k, v in rows.items() if k[0] != last} == {(9,)}
    rollups.rebuild()
    assert snapshot() == incremental


def test_hot_spot_categories_equal_the_daily_rows(personas: Any, spread: Any) -> None:
    this = dashboards.month_start(timezone.localdate())
    last = dashboards.add_months(this, -1)
    daily = (
        PetitionDaily.objects.filter(day__gte=last)
        .values_list("category_id")
        .annotate(n=Sum("received"))
    )
    by_cat = {Category.objects.get(pk=k).name: 0 for k, _n in daily}
    spots = dashboards.hot_spots(personas.viewer)
    for row in spots["categories"]:
        by_cat[row["name"]] = row["last"] + row["this"]
    assert by_cat == {Category.objects.get(pk=k).name: n for k, n in daily}


def test_the_city_dashboard_reads_no_daily_petition_rows(
    personas: Any, spread: Any, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(personas.viewer)
    client.get(reverse("dashboard_city"))
    # session, user and roles; the monthly petition rows (one read for three charts); the
    # categories' names; the hazards' days; the bars' units (3) and the running clocks; the
    # accidents' months; the unread notices; the session saved
    with django_assert_num_queries(QUERIES) as ctx:
        response = client.get(reverse("dashboard_city"))
    assert response.status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not any("reports_petitiondaily" in sql for sql in sqls)
    assert sum("reports_petitionmonthly" in sql for sql in sqls) == 1


QUERIES = 15
