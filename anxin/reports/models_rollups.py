"""Daily rollups: pre-aggregated counters that the dashboards read instead of the ledgers.

Each row is one day × one combination of dimensions; its counters are kept up to date in the
writer's transaction by :mod:`anxin.reports.receivers` (``F()`` increments, never a scan) and can
be recomputed from the ledgers with ``manage.py rebuild_rollups`` (:mod:`anxin.reports.rollups`).
They count matters (cases, hazards, accidents, inspections), never people.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.core.models import Unit


class DailyRow(models.Model):
    """One day's counters of one combination of dimensions."""

    day = models.DateField(_("day"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.day)


class PetitionDaily(DailyRow):
    """Petitions by day × unit × channel × kind × category.

    ``unit`` is the unit that acted: the registering unit for ``received`` (day: the day
    received), the unit recorded on the case's timeline for the other steps (the holding unit
    for accepting and declining, the deciding unit for the reply, the holding unit for closing),
    and the clock's unit for ``overdue`` (a clock stopped after its due date, on the day it
    stopped)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    kind = models.CharField(max_length=12)
    category = models.ForeignKey("petitions.Category", on_delete=models.CASCADE, related_name="+")
    received = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)

    COUNTERS = ("received", "accepted", "declined", "replied", "closed", "overdue")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "channel", "kind", "category"],
                name="reports_petition_daily_key",
            )
        ]
        indexes = [
            models.Index(fields=["unit", "day"], name="reports_petition_daily_unit"),
            # city-wide figures (no unit filter): a year of rows read from the index alone
            models.Index(
                fields=["day"],
                include=["channel", "kind", "category", "received"],
                name="reports_petition_daily_day",
            ),
        ]


class PetitionMonthly(models.Model):
    """Petitions received by month × registering unit × one dimension (channel, kind or
    category): the dashboards' year of petition charts, narrow whatever the number of cases.

    ``month`` is the first day of the month; ``value`` the channel, the kind, or the category's
    id as text. Each case received counts in three rows (one per dimension), in the same
    transaction as its :class:`PetitionDaily` row, and a rebuild groups the month's daily rows,
    so the month's figure of each value is the sum of the daily rows' ``received``."""

    class Dim(models.TextChoices):
        CHANNEL = "channel", _("channel")
        KIND = "kind", _("kind")
        CATEGORY = "category", _("category")

    month = models.DateField(_("month"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    dim = models.CharField(max_length=8, choices=Dim.choices)
    value = models.CharField(max_length=24)
    received = models.PositiveIntegerField(default=0)

    COUNTERS = ("received",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit", "dim", "value"], name="reports_petition_monthly_key"
            )
        ]
        indexes = [
            models.Index(fields=["unit", "month"], name="reports_petition_monthly_unit"),
            # city-wide figures (no unit filter): a year of rows read from the index alone
            models.Index(
                fields=["month"],
                include=["dim", "value", "received"],
                name="reports_petition_monthly_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dim}={self.value}"


class HazardDaily(DailyRow):
    """Hazards by day × territorial unit × regulating department × grade × sector.

    One row carries both units, so a unit's figures (its subtree as territory OR as regulating
    department) count each hazard once, exactly as the hazard list's ``unit`` filter does.
    ``found`` on the local day of ``found_at`` when a hazard is registered, ``closed`` on the day
    of ``closed_at`` (销号)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    regulating_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    grade = models.CharField(max_length=8)
    sector = models.ForeignKey("safety.Sector", on_delete=models.CASCADE, related_name="+")
    found = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)

    COUNTERS = ("found", "closed")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "regulating_unit", "grade", "sector"],
                name="reports_hazard_daily_key",
            )
        ]
        indexes = [
            models.Index(fields=["unit", "day"], name="reports_hazard_daily_unit"),
            models.Index(fields=["regulating_unit", "day"], name="reports_hazard_daily_reg"),
            # city-wide figures (no unit filter): a year of rows read from the index alone
            models.Index(
                fields=["day"], include=["found", "closed"], name="reports_hazard_daily_day"
            ),
        ]


class AccidentDaily(DailyRow):
    """Accidents by the day they occurred × unit × (current) grade."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(max_length=24)
    occurred = models.IntegerField(default=0)

    COUNTERS = ("occurred",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "grade"], name="reports_accident_daily_key"
            )
        ]
        indexes = [models.Index(fields=["unit", "day"], name="reports_accident_daily_unit")]


class InspectionDaily(DailyRow):
    """Inspections recorded, by the day of the inspection × the site's territorial unit."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    inspections = models.IntegerField(default=0)

    COUNTERS = ("inspections",)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "unit"], name="reports_inspection_daily_key")
        ]
        indexes = [models.Index(fields=["unit", "day"], name="reports_inspection_daily_unit")]


class ClockDaily(DailyRow):
    """The petitions' clocks by due day × owning unit × name × state: the cohorts of the
    timeliness rates (及时受理率, 按期答复率) in :func:`anxin.reports.indicators.figures`.

    Every clock change is audited with its before and after snapshot, so a change moves one
    clock from the row of its old (day, unit, name, state) to the row of its new one."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=40)
    state = models.CharField(max_length=12)
    n = models.IntegerField(default=0)

    COUNTERS = ("n",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "name", "state"], name="reports_clock_daily_key"
            )
        ]
        indexes = [models.Index(fields=["name", "day"], name="reports_clock_daily_day")]


class KpiMember(models.Model):
    """One petition's place in the cohort of one day-additive indicator (see
    :data:`anxin.reports.kpi_rollups.KEYS`): the unit it counts for, its cohort day and whether
    it is in the numerator. At most one row per petition and indicator; it is the petition's
    stored contribution to :class:`KpiDaily`, which a change of the petition diffs against."""

    petition = models.ForeignKey(
        "petitions.Petition", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    key = models.CharField(max_length=40)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hit = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "key"], name="reports_kpi_member_key")
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.key}"


class KpiDaily(DailyRow):
    """The day-additive petition indicators by cohort day × unit × indicator: ``d`` cases in the
    cohort (the denominator), ``n`` of them in the numerator. The sum of the members
    (:class:`KpiMember`) of each (day, unit, key)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    d = models.IntegerField(default=0)
    n = models.IntegerField(default=0)

    COUNTERS = ("d", "n")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "unit", "key"], name="reports_kpi_daily_key")
        ]
        indexes = [models.Index(fields=["key", "day"], name="reports_kpi_daily_day")]


class HazardKpiMember(models.Model):
    """One hazard's place in the hazard indicators (see :mod:`anxin.reports.kpi_rollups`): every
    hazard past triage and not voided, with the days and units the indicators read. Its stored
    contribution to :class:`HazardKpiDaily`, which a change of the hazard diffs against; the
    overdue count and the few hazards closed after a past period's end are counted here."""

    hazard = models.OneToOneField(
        "safety.Hazard", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    regulating_unit = models.ForeignKey(Unit, null=True, on_delete=models.CASCADE, related_name="+")
    major = models.BooleanField(default=False)
    found_on = models.DateField()
    closed_on = models.DateField(null=True)
    is_closed = models.BooleanField(default=False)
    deadline = models.DateField(null=True)

    class Meta:
        indexes = [models.Index(fields=["closed_on"], name="reports_hazard_kpi_closed")]

    def __str__(self) -> str:
        return str(self.hazard_id)


class HazardKpiDaily(DailyRow):
    """The hazards of :class:`HazardKpiMember` by the day found × territorial unit × the site's
    regulating department × major: ``d`` found, ``c`` of them closed (销号) now."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    regulating_unit = models.ForeignKey(Unit, null=True, on_delete=models.CASCADE, related_name="+")
    major = models.BooleanField(default=False)
    d = models.IntegerField(default=0)
    c = models.IntegerField(default=0)

    COUNTERS = ("d", "c")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "regulating_unit", "major"],
                name="reports_hazard_kpi_daily_key",
            )
        ]
        indexes = [models.Index(fields=["day"], name="reports_hazard_kpi_daily_day")]


ROLLUPS: tuple[type[models.Model], ...] = (
    PetitionDaily,
    PetitionMonthly,
    HazardDaily,
    AccidentDaily,
    InspectionDaily,
    ClockDaily,
    KpiDaily,
    HazardKpiDaily,
)
