"""The fixture world of the authorization matrix: the persona city, every persona, and one real
record of each kind an endpoint is about, all made through the services.

The item under test is in T1 (or at a site in V1, under T1) unless said otherwise; the
accusation is held by D1 and accuses T2; ``enterprise2`` is the contact of ANOTHER site in T1.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from anxin.core.choices import Role, UnitKind
from anxin.core.models import User
from anxin.core.services import unit_create
from anxin.core.testing import make_person, make_personas

#: the personas of the matrix, in the order of its columns
PERSONAS = (
    "same",  # unit head of T1, the unit of the item
    "member",  # case handler in T1
    "parent",  # unit head of D1, above T1
    "sibling",  # unit head of T2: sibling of T1, and the ACCUSED unit of the accusation
    "accused",  # lives in T2 (the accused unit) with a handler role over all of D1
    "outsider",  # unit head of T3, in another district
    "clerk",  # registration clerk, city-wide
    "inspector",  # safety inspector over D1, home T1
    "supervisor",  # supervisor over D1, home D1's supervision office
    "sysadmin",
    "secadmin",
    "auditor",
    "viewer",  # read-only, city-wide
    "enterprise",  # contact of the site under test
    "enterprise2",  # contact of ANOTHER site in T1
    "anonymous",
)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG")
    return out.getvalue()


def upload(name: str = "材料.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(), "image/jpeg")


@dataclass
class World:
    users: dict[str, User]
    #: path parameter values by ``"<url name>.<parameter>"`` or ``"<parameter>"``
    params: dict[str, str] = field(default_factory=dict)


def build_world() -> World:
    from anxin.core import webhooks
    from anxin.core.models import RoleAssignment
    from anxin.petitions import reception
    from anxin.petitions import services as petitions
    from anxin.petitions.models import Category
    from anxin.reports import monthly
    from anxin.safety import accidents, enforcement, hazards, inspection_plans, inspections
    from anxin.safety import services as safety
    from anxin.safety.models import ChecklistTemplate, Sector
    from anxin.supervision import notices
    from anxin.supervision.models import Clock
    from anxin.supervision.models_notices import NoticeReply
    from anxin.supervision.models_notifications import Notification

    p = make_personas()
    c = p.city
    office = unit_create(
        actor=None, code="D1S", name="一区督查室", kind=UnitKind.DEPARTMENT, parent=c.D1
    )
    users: dict[str, User] = {
        name: getattr(p, name) for name in PERSONAS if hasattr(p, name) and name not in ("city",)
    }
    users["accused"] = make_person("accused", c.T2, [(Role.HANDLER, c.D1)])
    users["inspector"] = make_person("inspector", c.T1, [(Role.INSPECTOR, c.D1)])
    users["supervisor"] = make_person("supervisor", office, [(Role.SUPERVISOR, c.D1)])
    users["enterprise2"] = make_person("enterprise2", c.T1, [(Role.ENTERPRISE, c.T1)])
    insp2 = make_person("insp2", c.D1, [(Role.INSPECTOR, c.D1)])
    today = timezone.localdate()

    hook = webhooks.webhook_endpoint_create(
        actor=None,
        name="12345 热线",
        url="http://hooks.example.test/in",
        secret="s" * 32,
        events=["created", "status_changed"],
        subject_types=["petitions.petition", "safety.hazard"],
    )

    # --- petitions ----------------------------------------------------------------------
    from anxin.petitions.services import ComplainantIn

    def register(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "actor": p.clerk,
            "channel": "letter",
            "kind": "claim",
            "category": Category.objects.get(code="labour"),
            "title": "拖欠工资三个月未发放",
            "content": "某建筑公司拖欠农民工工资三个月，多次讨要未果，请求协调解决。",
            "unit": c.C,
            "complainants": [
                ComplainantIn(
                    name="张三",
                    id_number="11010519491231002X",
                    phone="13812345678",
                    address="一街道和平路1号",
                )
            ],
        }
        args.update(kw)
        return petitions.petition_register(**args).petition

    petition = register()
    petition = petitions.petition_forward(actor=p.clerk, petition=petition, to_unit=c.T1)
    other = register(title="另一件拖欠工资")
    petitions.petition_forward(actor=p.clerk, petition=other, to_unit=c.T1)
    petitions.petition_attach(actor=p.same, petition=petition, files=[upload()])
    from anxin.core.attachments import attachments_of

    petition_file = attachments_of(petition).get()
    accusation = register(
        kind="accusation",
        title="举报某街道干部",
        category=Category.objects.get(code="discipline"),
        accused_unit=c.T2,
        accused_person="某干部",
    )
    petitions.petition_accept(actor=p.clerk, petition=accusation, lead_unit=c.D1)

    starts = timezone.now() + dt.timedelta(days=3)
    session = reception.reception_session_create(
        actor=p.same,
        leader=p.same,
        unit=c.T1,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        place="一街道信访接待室",
        topics="拆迁安置",
        capacity=5,
    )
    session = reception.reception_session_publish(actor=p.same, session=session)
    booking, _code = reception.reception_book(
        session=session, name="王五", phone="13912345678", topic="拆迁安置房逾期未交付"
    )

    # --- safety -------------------------------------------------------------------------
    sector = safety.sector_update(
        actor=None, sector=Sector.objects.get(code="industry_trade"), version=None, department=c.DEP
    )

    def site_of(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "actor": None,
            "name": "一街道机械制造有限公司",
            "credit_code": "91310110666007217T",
            "sector": sector,
            "unit": c.V1,
            "address": "一街道和平路8号",
            "risk_level": "yellow",
            "contact_name": "李四",
            "contact_phone": "13812345678",
        }
        args.update(kw)
        return safety.site_create(**args)

    site = site_of(contact_user=p.enterprise)
    site_of(
        name="一街道木业有限公司",
        credit_code="91310115591693856A",
        contact_user=users["enterprise2"],
    )
    permit = safety.permit_add(
        actor=None,
        site=site,
        kind="safety_production",
        number="(沪)WH安许证字〔2026〕001",
        issued_on=today,
    )
    hazard = hazards.hazard_create(
        actor=None,
        site=site,
        description="配电箱未上锁，电缆破损裸露",
        grade="general",
        deadline=today + dt.timedelta(days=15),
    )
    accident = accidents.accident_report(
        actor=users["inspector"],
        occurred_at=timezone.now() - dt.timedelta(minutes=20),
        place="一街道和平路8号机加工车间",
        kind="production",
        summary="冲压机作业时发生机械伤害。",
        unit=c.T1,
        site=site,
        serious_injuries=1,
        direct_loss_yuan=Decimal("100000"),
    )
    plan = inspection_plans.inspection_plan_create(
        actor=users["inspector"],
        title="工贸企业专项检查",
        organiser=c.D1,
        unit=c.T1,
        sectors=[sector],
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=10),
        coverage_target=80,
    )
    inspection = inspections.inspection_create(
        actor=users["inspector"], site=site, content="日常检查", plan=plan
    )
    order = enforcement.enforcement_order_issue(
        actor=users["inspector"],
        site=site,
        kind="rectify",
        basis_codes=["wsl65_3", "wsl102"],
        facts="二楼配电箱未上锁，电缆破损裸露。",
        demands="1. 更换破损电缆；\n2. 配电箱加锁并张贴警示标志。",
        deadline=today + dt.timedelta(days=10),
        officers=[users["inspector"], insp2],
    )

    # --- supervision and reports --------------------------------------------------------
    notice = notices.notice_issue(
        actor=users["supervisor"],
        kind="letter",
        unit=c.T1,
        matters="请说明逾期原因。",
        reply_by=today + dt.timedelta(days=10),
    )
    report = monthly.monthly_report_request(actor=p.same, unit=c.T1, month=today.replace(day=1))
    clock = Clock.objects.filter(unit=c.T1).order_by("pk").first()
    accusation_clock = (
        Clock.objects.filter(
            subject_type="petitions.petition", subject_id=accusation.pk, name="handle_by"
        )
        .order_by("pk")
        .first()
    )
    note = Notification.objects.filter(user=p.same).order_by("pk").first()
    from anxin.core.models_webhooks import WebhookDelivery

    delivery = WebhookDelivery.objects.filter(endpoint=hook).order_by("pk").first()
    assignment = RoleAssignment.objects.get(user=p.member)
    checklist = ChecklistTemplate.objects.filter(sector=sector).order_by("pk").first()

    from anxin.core.attachments import attachment_add

    inspection_file = attachment_add(actor=None, owner=inspection, upload=upload("现场.jpg"))
    hazard_file = attachment_add(actor=None, owner=hazard, upload=upload("隐患.jpg"))
    answered = notices.notice_issue(
        actor=users["supervisor"],
        kind="letter",
        unit=c.T1,
        matters="请报告整改情况。",
        reply_by=today + dt.timedelta(days=10),
    )
    notices.notice_reply(actor=p.same, notice=answered, text="已整改。", files=[upload("回复.jpg")])
    notice_file = attachments_of(NoticeReply.objects.get(notice=answered)).get()

    params = {
        "code": "T1",
        "username": "member",
        "assignment_id": str(assignment.pk),
        "op": "unlock",
        "date": str(today + dt.timedelta(days=30)),
        "webhook.pk": str(hook.pk),
        "delivery.pk": str(delivery.pk if delivery else 0),
        "petition.id": str(petition.uid),
        "accusation.id": str(accusation.uid),
        "petition.other": str(other.uid),
        "petition.file": str(petition_file.uid),
        "reception_session.pk": str(session.pk),
        "booking.pk": str(booking.pk),
        "site.id": str(site.uid),
        "permit.pk": str(permit.pk),
        "sector.code": sector.code,
        "checklist.pk": str(checklist.pk if checklist else 0),
        "accident.id": str(accident.uid),
        "inspection.id": str(inspection.uid),
        "plan.id": str(plan.uid),
        "hazard.id": str(hazard.uid),
        "enforcement.id": str(order.uid),
        "clock.pk": str(clock.pk if clock else 0),
        "accusation_clock.pk": str(accusation_clock.pk if accusation_clock else 0),
        "inbox.pk": str(note.pk if note else 0),
        "notice.id": str(notice.uid),
        "monthly.uid": str(report.uid),
        "inspection.file": str(inspection_file.uid),
        "hazard.file": str(hazard_file.uid),
        "answered.id": str(answered.uid),
        "notice.file": str(notice_file.uid),
        "open311.request_id": accusation.number,
        "open311.token": str(petition.uid),
    }
    return World(users=users, params=params)
