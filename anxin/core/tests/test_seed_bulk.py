"""seed_bulk: bulk petitions and hazards that the application reads like its own records."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q, Sum

from anxin.core.bulk import BulkWriter
from anxin.core.identifiers import credit_code_check_ok
from anxin.core.models import Unit
from anxin.core.search import search_filter
from anxin.petitions.choices import Status
from anxin.petitions.matching import SEARCH_TABLE, index_petition
from anxin.petitions.models import Complainant, Counter, Decision, Petition, PetitionUnit
from anxin.safety.models import Site
from anxin.safety.models_hazards import Hazard
from anxin.supervision.models import Clock

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.dbdep]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_bulk", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def bulk() -> None:
    call_command("load_units", verbosity=0)
    run("--petitions", "300", "--hazards", "200", "--seed", "3")


def test_counts_and_report(bulk: None) -> None:
    assert Petition.objects.count() == 300
    assert Hazard.objects.count() == 200
    assert Site.objects.count() == 20
    # every case has its registering and holding unit, one complainant and its accept_by clock
    assert PetitionUnit.objects.filter(role="registering").count() == 300
    assert PetitionUnit.objects.filter(role="holding").count() == 300
    assert Complainant.objects.count() == 300
    clocks = Clock.objects.filter(subject_type="petitions.petition")
    assert clocks.filter(name="accept_by").count() == 300


def test_states_are_consistent(bulk: None) -> None:
    statuses = dict(Petition.objects.values_list("status").annotate(n=Count("id")))
    assert {Status.REGISTERED, Status.HANDLING, Status.CLOSED} <= set(statuses)
    accepted = Petition.objects.exclude(status__in=[Status.REGISTERED, Status.DECLINED])
    assert not accepted.filter(lead_unit__isnull=True).exists()
    assert Clock.objects.filter(subject_type="petitions.petition", name="handle_by").count() == (
        accepted.count()
    )
    decided = Petition.objects.filter(
        status__in=[Status.DECIDED, Status.REVIEW, Status.REVIEWED, Status.CLOSED]
    )
    assert Decision.objects.count() == decided.count()
    assert not Petition.objects.filter(status=Status.CLOSED, closed_at__isnull=True).exists()
    # a running clock belongs to an open case; a stopped one is met or missed by its date
    assert not Clock.objects.filter(state="met", stopped_on__gt=F("due_on")).exists()
    assert not Clock.objects.filter(state="missed", stopped_on__lte=F("due_on")).exists()
    running_hazards = Clock.objects.filter(subject_type="safety.hazard", state="running")
    assert set(
        Hazard.objects.filter(pk__in=running_hazards.values("subject_id")).values_list(
            "status", flat=True
        )
    ) <= {"registered", "rectifying", "submitted"}
    assert not Hazard.objects.filter(
        ~Q(status__in=["reported", "void"]), site__isnull=True
    ).exists()


def test_records_read_like_the_services_wrote_them(bulk: None) -> None:
    petition = Petition.objects.order_by("-id").first()
    assert petition is not None
    # the complainant decrypts (SM4) and the case is found by its number and by a word
    assert Complainant.objects.filter(petition=petition).get().name
    assert list(search_filter(Petition.objects.all(), SEARCH_TABLE, petition.number)) == [petition]
    word = "工资"
    found = search_filter(Petition.objects.all(), SEARCH_TABLE, word).count()
    assert (
        found
        == Petition.objects.filter(Q(title__contains=word) | Q(content__contains=word)).count()
    )
    # re-indexing one case the services' way keeps it found the same way
    index_petition(petition)
    assert list(search_filter(Petition.objects.all(), SEARCH_TABLE, petition.number)) == [petition]
    # the year's counter continues after the bulk numbers
    year = petition.received_on.year
    top = max(
        int(n[6:])
        for n in Petition.objects.filter(number__startswith=f"XF{year}").values_list(
            "number", flat=True
        )
    )
    assert Counter.objects.get(name="XF", year=year).value == top
    # sites carry valid, distinct credit codes; a new row after the bulk gets a fresh id
    codes = list(Site.objects.values_list("credit_code", flat=True))
    assert len(set(codes)) == len(codes) and all(credit_code_check_ok(c) for c in codes)
    # rows written after the bulk get fresh keys (the sequences were moved past the bulk's)
    link = PetitionUnit.objects.create(
        petition=petition, unit=Unit.objects.order_by("pk")[0], role="co"
    )
    assert link.pk > PetitionUnit.objects.exclude(pk=link.pk).order_by("-pk")[0].pk


def test_hazards_have_the_timeline_the_rollups_count(bulk: None) -> None:
    """Each bulk hazard has its creation step (``registered``, or ``reported`` when never
    registered) at ``found_at`` and its end (``closed`` at ``closed_at``, ``voided``), so the
    rebuilt rollups count the hazards found and closed as the services' records would."""
    from anxin.reports.models import HazardDaily
    from anxin.safety.models_hazards import HazardEvent

    events = HazardEvent.objects.all()
    created = events.filter(kind__in=["registered", "reported"])
    assert created.count() == Hazard.objects.count() == 200
    assert not created.exclude(at=F("hazard__found_at")).exists()
    registered = Hazard.objects.exclude(status__in=["reported", "void"])
    assert set(events.filter(kind="registered").values_list("hazard_id", flat=True)) == set(
        registered.values_list("pk", flat=True)
    )
    closed = Hazard.objects.filter(status="closed")
    assert events.filter(kind="closed").count() == closed.count() > 0
    assert not events.filter(kind="closed").exclude(at=F("hazard__closed_at")).exists()
    assert events.filter(kind="voided").count() == Hazard.objects.filter(status="void").count()
    # a row written after the bulk gets a fresh key
    later = HazardEvent.objects.create(hazard=closed[0], kind="note")
    assert later.pk > events.exclude(pk=later.pk).order_by("-pk")[0].pk
    later.delete()
    call_command("rebuild_rollups", stdout=io.StringIO())
    totals = HazardDaily.objects.aggregate(found=Sum("found"), closed=Sum("closed"))
    assert totals == {
        "found": registered.count(),
        "closed": closed.count(),
    }


def test_cases_have_the_first_step_the_rollups_count_as_received(bulk: None) -> None:
    """Each bulk case has its ``registered`` step (at ``registered_at``, by the registering
    unit), so the rebuilt rollups count the cases received as the services' records would."""
    from anxin.petitions.models import PetitionEvent
    from anxin.reports.models import PetitionDaily

    events = PetitionEvent.objects.filter(kind="registered")
    assert events.count() == Petition.objects.count() == 300
    assert not events.exclude(at=F("petition__registered_at")).exists()
    assert not events.exclude(unit_id=F("petition__registering_unit_id")).exists()
    call_command("rebuild_rollups", stdout=io.StringIO())
    assert PetitionDaily.objects.aggregate(n=Sum("received"))["n"] == 300


def test_deterministic_for_a_seed() -> None:
    call_command("load_units", verbosity=0)
    run("--petitions", "50", "--seed", "9")
    first = list(Petition.objects.order_by("id").values_list("title", "status", "received_on"))
    Petition.objects.all().delete()
    Clock.objects.all().delete()
    run("--petitions", "50", "--seed", "9")
    again = list(Petition.objects.order_by("id").values_list("title", "status", "received_on"))
    assert again == first


def test_refused_in_production(settings) -> None:
    settings.ANXIN_ENV = "production"
    with pytest.raises(CommandError, match="not in production"):
        run("--petitions", "1")


def test_writer_refuses_a_unique_column_left_to_its_default() -> None:
    with pytest.raises(ValueError, match="is unique: generate it per row"):
        BulkWriter(Petition, ["number"])
