"""The authorization matrix as data: what each persona gets from each endpoint.

Read with ``test_authorization_matrix.py`` (which finds the endpoints and fails on any without an
entry here) and ``authz_world.py`` (the personas and the records the path parameters name). The
item of an item endpoint is in T1, or at a site in V1 under T1: ``same`` (head of T1),
``member`` (handler in T1), ``parent`` (head of D1) and city- or D1-wide roles may see it;
``sibling`` (T2) and ``outsider`` (T3) get 404, like anyone for whom it does not exist.

Outcomes: ``"ok"`` (200 for a GET; for a write, any answer past the authorization: a redirect
back with the form's errors, 400, 409…), ``"redirect"`` (302, not to the login page),
``"login"`` (302 to the login page), or the status code. Every page is asked with GET and with
an empty POST; every API operation with its method and the body ``{}``.

Entries are keyed by URL name (pages) or ``"METHOD /path"`` (OpenAPI operations); a key with
``@variant`` asks the same endpoint about another record (the accusation). The groups below are
the usual answers; an entry that differs from its group says so with :func:`override` and a
comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: the columns, as in ``authz_world.PERSONAS``
PERSONAS = (
    "same",
    "member",
    "parent",
    "sibling",
    "accused",
    "outsider",
    "clerk",
    "inspector",
    "supervisor",
    "sysadmin",
    "secadmin",
    "auditor",
    "viewer",
    "enterprise",
    "enterprise2",
    "anonymous",
)
OUTCOMES: set[Any] = {"ok", "login", "redirect", 400, 401, 403, 404, 405, 409, 422}

Row = dict[str, Any]


def row(default: Any, anonymous: Any = "login", **exceptions: Any) -> Row:
    """``default`` for every signed-in persona but the ``exceptions``."""
    unknown = set(exceptions) - set(PERSONAS)
    assert not unknown, unknown
    return {p: exceptions.get(p, default) for p in PERSONAS[:-1]} | {"anonymous": anonymous}


def override(base: Row, **exceptions: Any) -> Row:
    unknown = set(exceptions) - set(PERSONAS)
    assert not unknown, unknown
    return base | exceptions


@dataclass(frozen=True)
class Entry:
    #: pages: the outcome of GET and of an empty POST
    get: Row | None = None
    post: Row | None = None
    #: API operations: the outcome of the operation's own method
    op: Row | None = None
    #: path parameters: ``"@name"`` is a record of the world (``World.params``), else literal
    args: dict[str, str] = field(default_factory=dict)
    query: str = ""
    #: the body of the write (form fields for a page, JSON for the API); empty by default
    data: dict[str, Any] = field(default_factory=dict)
    #: the tests run one chunk each (xdist spreads them), each on its own world
    chunk: str = "core"


# --- the usual answers ------------------------------------------------------------------
#: a method the view does not take (login_required first: anonymous goes to the login page)
NOT_THIS_METHOD = row(405)
PUBLIC = row("ok", anonymous="ok")
PUBLIC_NOT_THIS_METHOD = row(405, anonymous=405)
PUBLIC_NOT_FOUND = row(404, anonymous=404)
SIGNED_IN = row("ok")
API_SIGNED_IN = row("ok", anonymous=401)
#: ninja validates the body before the view runs: an empty body is refused alike for everyone
#: (the view's own authorization is then tested by the services' tests)
API_BODY_CHECKED_FIRST = row(400, anonymous=401)
SYSADMIN_ONLY = row(403, sysadmin="ok")
AUDITOR_ONLY = row(403, auditor="ok")
#: municipal staff pages: administrators (三员) and enterprise contacts are refused
STAFF_READ = row("ok", sysadmin=403, secadmin=403, auditor=403, enterprise=403, enterprise2=403)
API_STAFF_READ = override(STAFF_READ, anonymous=401)
#: the petition ledgers: no inspectors, administrators or enterprise contacts
PETITION_LEDGER = override(STAFF_READ, inspector=403)
#: safety ledgers: enterprise contacts see their own site's records in them
SAFETY_LIST = row("ok", sysadmin=403, secadmin=403, auditor=403)
API_SAFETY_LIST = override(SAFETY_LIST, anonymous=401)
#: creating a safety record: unit heads (for their scope) and inspectors
SAFETY_CREATE = row(403, same="ok", parent="ok", sibling="ok", outsider="ok", inspector="ok")
#: a petition in T1: its unit and the units above it, D1/city-wide case roles; never T2/T3,
#: the administrators, inspectors or enterprise contacts
PETITION_READ = row(
    404, same="ok", member="ok", parent="ok", accused="ok", clerk="ok", supervisor="ok", viewer="ok"
)
API_PETITION_READ = override(PETITION_READ, anonymous=401)
#: a form posted on a T1 petition: those who see the case get past the scope check (the empty
#: form is sent back with its errors; the service then checks the role)
PETITION_WRITE_FORM = PETITION_READ
#: the same accusation held by D1 against T2: nobody in T2 sees it, whatever their role
ACCUSATION_READ = override(PETITION_READ, same=404, member=404, accused=404)
API_ACCUSATION_READ = override(ACCUSATION_READ, anonymous=401)
ACCUSATION_WRITE_FORM = ACCUSATION_READ
#: a safety record in T1 (inspection, plan, notice, monthly report): the enterprise contacts
#: do not see drafts, plans or notices
SAFETY_ITEM_READ = row(
    "ok",
    sibling=404,
    outsider=404,
    sysadmin=404,
    secadmin=404,
    auditor=404,
    enterprise=404,
    enterprise2=404,
)
API_SAFETY_ITEM_READ = override(SAFETY_ITEM_READ, anonymous=401)
#: the site (and its hazards): its own enterprise contact sees it, the other site's does not
SITE_ITEM_READ = override(SAFETY_ITEM_READ, enterprise="ok")
API_SITE_ITEM_READ = override(SITE_ITEM_READ, anonymous=401)
HAZARD_WRITE_FORM = SITE_ITEM_READ
#: acting on the hazard: its managers (unit heads over it, inspectors), not the readers
HAZARD_MANAGE = override(
    SITE_ITEM_READ, member=403, accused=403, clerk=403, supervisor=403, viewer=403, enterprise=403
)
#: managing the site: T1/D1 heads and the inspectors; read-only roles get 403
SITE_MANAGE = row(
    403,
    same="ok",
    parent="ok",
    sibling=404,
    outsider=404,
    inspector="ok",
    sysadmin=404,
    secadmin=404,
    auditor=404,
    enterprise2=404,
)
INSPECTION_MANAGE = override(SITE_MANAGE, enterprise=404)
INSPECTION_STEP = INSPECTION_MANAGE
#: accidents and enforcement orders: unit heads, inspectors and supervisors, not case handlers
ACCIDENT_READ = row(404, same="ok", parent="ok", inspector="ok", supervisor="ok", viewer="ok")
API_ACCIDENT_READ = override(ACCIDENT_READ, anonymous=401)


# --- the pages -------------------------------------------------------------------------
PAGES: dict[str, Entry] = {
    "healthz": Entry(get=PUBLIC, post=PUBLIC_NOT_THIS_METHOD, chunk="core"),
    "set_language": Entry(
        get=row("redirect", anonymous="redirect"),
        post=row("redirect", anonymous="redirect"),
        chunk="core",
    ),
    # the API's own pages: the OpenAPI document and its viewer are public, the root is not a page
    # (they answer a POST like a GET: nothing is written)
    "api-v1:openapi-json": Entry(get=PUBLIC, post=PUBLIC, chunk="core"),
    "api-v1:openapi-view": Entry(get=PUBLIC, post=PUBLIC, chunk="core"),
    "api-v1:api-root": Entry(get=PUBLIC_NOT_FOUND, post=PUBLIC_NOT_FOUND, chunk="core"),
    "login": Entry(
        get=row("redirect", anonymous="ok"), post=row("redirect", anonymous="ok"), chunk="core"
    ),
    "logout": Entry(get=PUBLIC_NOT_THIS_METHOD, post=row("login"), chunk="core"),
    "password_change": Entry(get=SIGNED_IN, post=SIGNED_IN, chunk="core"),
    "otp_setup": Entry(
        get=override(SIGNED_IN, sysadmin="redirect", secadmin="redirect", auditor="redirect"),
        post=override(SIGNED_IN, sysadmin="redirect", secadmin="redirect", auditor="redirect"),
        chunk="core",
    ),
    "otp_verify": Entry(get=SIGNED_IN, post=SIGNED_IN, chunk="core"),
    "home": Entry(get=SIGNED_IN, post=NOT_THIS_METHOD, chunk="core"),
    "unit_list": Entry(
        get=override(SIGNED_IN, enterprise=403, enterprise2=403), post=NOT_THIS_METHOD, chunk="core"
    ),
    "unit_detail": Entry(
        get=override(SIGNED_IN, enterprise=404, enterprise2=404),
        post=override(SYSADMIN_ONLY, enterprise=404, enterprise2=404),
        args={"code": "@code"},
        chunk="core",
    ),
    "user_list": Entry(
        get=override(SAFETY_CREATE, inspector=403, sysadmin="ok", secadmin="ok", auditor="ok"),
        post=NOT_THIS_METHOD,
        chunk="core",
    ),
    "user_create": Entry(get=SYSADMIN_ONLY, post=SYSADMIN_ONLY, chunk="core"),
    "user_detail": Entry(
        get=row(404, same="ok", parent="ok", sysadmin="ok", secadmin="ok", auditor="ok"),
        post=row(404, same=403, parent=403, sysadmin=403, secadmin="ok", auditor=403),
        args={"username": "@username"},
        chunk="core",
    ),
    "user_edit": Entry(
        get=row(404, same=403, parent=403, sysadmin="ok", secadmin=403, auditor=403),
        post=row(404, same=403, parent=403, sysadmin="ok", secadmin=403, auditor=403),
        args={"username": "@username"},
        chunk="core",
    ),
    "role_revoke": Entry(
        get=NOT_THIS_METHOD,
        post=row(404, same=403, parent=403, sysadmin=403, secadmin="redirect", auditor=403),
        args={"username": "@username", "assignment_id": "@assignment_id"},
        chunk="core",
    ),
    "user_action": Entry(
        get=NOT_THIS_METHOD,
        post=row(404, same=403, parent=403, sysadmin="redirect", secadmin=403, auditor=403),
        args={"username": "@username", "op": "unlock"},
        chunk="core",
    ),
    "audit_list": Entry(get=AUDITOR_ONLY, post=NOT_THIS_METHOD, chunk="core"),
    "audit_export": Entry(get=AUDITOR_ONLY, post=NOT_THIS_METHOD, chunk="core"),
    "audit_verify": Entry(get=AUDITOR_ONLY, post=NOT_THIS_METHOD, chunk="core"),
    "calendar": Entry(get=SYSADMIN_ONLY, post=SYSADMIN_ONLY, chunk="core"),
    "calendar_day_delete": Entry(
        get=NOT_THIS_METHOD,
        post=override(SYSADMIN_ONLY, sysadmin="redirect"),
        args={"date": "@date"},
        chunk="core",
    ),
    "webhook_list": Entry(get=SYSADMIN_ONLY, post=NOT_THIS_METHOD, chunk="core"),
    "webhook_create": Entry(get=SYSADMIN_ONLY, post=SYSADMIN_ONLY, chunk="core"),
    "webhook_detail": Entry(
        get=SYSADMIN_ONLY, post=NOT_THIS_METHOD, args={"pk": "@webhook.pk"}, chunk="core"
    ),
    "webhook_edit": Entry(
        get=SYSADMIN_ONLY, post=SYSADMIN_ONLY, args={"pk": "@webhook.pk"}, chunk="core"
    ),
    "webhook_replay": Entry(
        get=NOT_THIS_METHOD,
        post=override(SYSADMIN_ONLY, sysadmin="redirect"),
        args={"pk": "@delivery.pk"},
        chunk="core",
    ),
    "petition_list": Entry(get=PETITION_LEDGER, post=NOT_THIS_METHOD, chunk="petitions"),
    # the ledger's "共 N 条", loaded after the list: refused exactly as the list
    "petition_list_count": Entry(get=PETITION_LEDGER, post=NOT_THIS_METHOD, chunk="petitions"),
    "petition_create": Entry(
        get=override(SYSADMIN_ONLY, member="ok", accused="ok", clerk="ok", sysadmin=403),
        post=override(SYSADMIN_ONLY, member="ok", accused="ok", clerk="ok", sysadmin=403),
        chunk="petitions",
    ),
    "petition_export": Entry(get=PETITION_LEDGER, post=NOT_THIS_METHOD, chunk="petitions"),
    "petition_backlog": Entry(get=PETITION_LEDGER, post=NOT_THIS_METHOD, chunk="petitions"),
    "petition_detail": Entry(
        get=PETITION_READ, post=NOT_THIS_METHOD, args={"id": "@petition.id"}, chunk="petitions"
    ),
    "petition_action": Entry(
        get=NOT_THIS_METHOD,
        post=PETITION_WRITE_FORM,
        args={"id": "@petition.id", "action": "accept"},
        chunk="petitions",
    ),
    "petition_reveal": Entry(
        get=NOT_THIS_METHOD,
        # with a reason: the read-only roles may not see the full personal data
        post=override(PETITION_READ, supervisor=403, viewer=403),
        args={"id": "@petition.id"},
        data={"reason": "核实身份以便回访"},
        chunk="petitions",
    ),
    "petition_plan": Entry(
        get=NOT_THIS_METHOD,
        post=override(INSPECTION_MANAGE, same=403, parent=403, inspector=404),
        args={"id": "@petition.id", "op": "owner"},
        chunk="petitions",
    ),
    "petition_attach": Entry(
        get=NOT_THIS_METHOD,
        post=PETITION_WRITE_FORM,
        args={"id": "@petition.id"},
        chunk="petitions",
    ),
    "petition_hazard": Entry(
        get=NOT_THIS_METHOD,
        post=PETITION_WRITE_FORM,
        args={"id": "@petition.id"},
        chunk="petitions",
    ),
    "petition_compare": Entry(
        get=PETITION_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@petition.id", "other": "@petition.other"},
        chunk="petitions",
    ),
    "petition_attachment": Entry(
        get=PETITION_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@petition.id", "file": "@petition.file"},
        chunk="petitions",
    ),
    "reception_session_list": Entry(get=PETITION_LEDGER, post=NOT_THIS_METHOD, chunk="petitions"),
    "reception_session_create": Entry(
        get=override(SAFETY_CREATE, clerk="ok", inspector=403),
        post=override(SAFETY_CREATE, clerk="ok", inspector=403),
        chunk="petitions",
    ),
    "reception_session_detail": Entry(
        get=override(INSPECTION_MANAGE, clerk="ok", inspector=404),
        post=NOT_THIS_METHOD,
        args={"pk": "@reception_session.pk"},
        chunk="petitions",
    ),
    "reception_session_publish": Entry(
        get=NOT_THIS_METHOD,
        post=override(INSPECTION_STEP, clerk="redirect", inspector=404),
        args={"pk": "@reception_session.pk"},
        chunk="petitions",
    ),
    "reception_session_cancel": Entry(
        get=NOT_THIS_METHOD,
        post=override(INSPECTION_STEP, clerk="redirect", inspector=404),
        args={"pk": "@reception_session.pk"},
        chunk="petitions",
    ),
    "reception_visit_record": Entry(
        get=override(PUBLIC_NOT_FOUND, same=403, parent=403, clerk="ok", anonymous="login"),
        post=override(PUBLIC_NOT_FOUND, same=403, parent=403, clerk="ok", anonymous="login"),
        args={"pk": "@booking.pk"},
        chunk="petitions",
    ),
    "petition_document": Entry(
        get=PETITION_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@petition.id", "kind": "forward_notice"},
        chunk="petitions",
    ),
    "site_list": Entry(get=SAFETY_LIST, post=NOT_THIS_METHOD, chunk="safety-sites"),
    "site_create": Entry(get=SAFETY_CREATE, post=SAFETY_CREATE, chunk="safety-sites"),
    "site_detail": Entry(
        get=SITE_ITEM_READ, post=NOT_THIS_METHOD, args={"id": "@site.id"}, chunk="safety-sites"
    ),
    "site_edit": Entry(
        get=SITE_MANAGE, post=SITE_MANAGE, args={"id": "@site.id"}, chunk="safety-sites"
    ),
    "permit_create": Entry(
        get=SITE_MANAGE, post=SITE_MANAGE, args={"id": "@site.id"}, chunk="safety-sites"
    ),
    "permit_edit": Entry(
        get=SITE_MANAGE,
        post=SITE_MANAGE,
        args={"id": "@site.id", "pk": "@permit.pk"},
        chunk="safety-sites",
    ),
    "sector_list": Entry(
        get=override(STAFF_READ, sysadmin="ok"), post=NOT_THIS_METHOD, chunk="safety-sites"
    ),
    "sector_edit": Entry(
        get=SYSADMIN_ONLY, post=SYSADMIN_ONLY, args={"code": "@sector.code"}, chunk="safety-sites"
    ),
    "checklist_list": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="safety-sites"),
    "checklist_detail": Entry(
        get=STAFF_READ, post=NOT_THIS_METHOD, args={"pk": "@checklist.pk"}, chunk="safety-sites"
    ),
    "checklist_publish": Entry(
        get=SAFETY_CREATE, post=SAFETY_CREATE, args={"pk": "@checklist.pk"}, chunk="safety-sites"
    ),
    "accident_list": Entry(
        get=override(SAFETY_CREATE, supervisor="ok", viewer="ok"),
        post=NOT_THIS_METHOD,
        chunk="safety-sites",
    ),
    "accident_create": Entry(get=SAFETY_CREATE, post=SAFETY_CREATE, chunk="safety-sites"),
    "accident_detail": Entry(
        get=ACCIDENT_READ, post=NOT_THIS_METHOD, args={"id": "@accident.id"}, chunk="safety-sites"
    ),
    "accident_action": Entry(
        get=NOT_THIS_METHOD,
        post=override(INSPECTION_STEP, member=404, accused=404, clerk=404),
        args={"id": "@accident.id", "action": "county_reported"},
        chunk="safety-sites",
    ),
    "inspection_list": Entry(get=SAFETY_LIST, post=NOT_THIS_METHOD, chunk="safety-hazards"),
    "inspection_create": Entry(get=SAFETY_CREATE, post=SAFETY_CREATE, chunk="safety-hazards"),
    "inspection_plan_list": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="safety-hazards"),
    "inspection_plan_create": Entry(get=SAFETY_CREATE, post=SAFETY_CREATE, chunk="safety-hazards"),
    "inspection_plan_detail": Entry(
        get=override(STAFF_READ, sibling=404, outsider=404),
        post=NOT_THIS_METHOD,
        args={"id": "@plan.id"},
        chunk="safety-hazards",
    ),
    "inspection_plan_edit": Entry(
        get=INSPECTION_MANAGE,
        post=INSPECTION_MANAGE,
        args={"id": "@plan.id"},
        chunk="safety-hazards",
    ),
    "inspection_detail": Entry(
        get=SAFETY_ITEM_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@inspection.id"},
        chunk="safety-hazards",
    ),
    "inspection_fill": Entry(
        get=INSPECTION_MANAGE,
        post=INSPECTION_MANAGE,
        args={"id": "@inspection.id"},
        chunk="safety-hazards",
    ),
    "inspection_record_docx": Entry(
        get=SAFETY_ITEM_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@inspection.id"},
        chunk="safety-hazards",
    ),
    "inspection_sign": Entry(
        get=NOT_THIS_METHOD,
        post=INSPECTION_STEP,
        args={"id": "@inspection.id"},
        chunk="safety-hazards",
    ),
    "inspection_refusal": Entry(
        get=NOT_THIS_METHOD,
        post=INSPECTION_STEP,
        args={"id": "@inspection.id"},
        chunk="safety-hazards",
    ),
    "inspection_penalty": Entry(
        get=NOT_THIS_METHOD,
        post=INSPECTION_STEP,
        args={"id": "@inspection.id"},
        chunk="safety-hazards",
    ),
    "inspection_hazards": Entry(
        get=NOT_THIS_METHOD,
        post=INSPECTION_STEP,
        args={"id": "@inspection.id"},
        chunk="safety-hazards",
    ),
    "inspection_file": Entry(
        get=SAFETY_ITEM_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@inspection.id", "file": "@inspection.file"},
        chunk="safety-hazards",
    ),
    "hazard_list": Entry(get=SAFETY_LIST, post=NOT_THIS_METHOD, chunk="safety-hazards"),
    "hazard_create": Entry(get=SAFETY_CREATE, post=SAFETY_CREATE, chunk="safety-hazards"),
    "hazard_detail": Entry(
        get=SITE_ITEM_READ, post=NOT_THIS_METHOD, args={"id": "@hazard.id"}, chunk="safety-hazards"
    ),
    "hazard_evidence": Entry(
        get=NOT_THIS_METHOD,
        post=HAZARD_WRITE_FORM,
        args={"id": "@hazard.id"},
        chunk="safety-hazards",
    ),
    "hazard_action": Entry(
        get=NOT_THIS_METHOD,
        post=HAZARD_MANAGE,
        args={"id": "@hazard.id", "action": "start_rectification"},
        chunk="safety-hazards",
    ),
    "hazard_file": Entry(
        get=SITE_ITEM_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@hazard.id", "file": "@hazard.file"},
        chunk="safety-hazards",
    ),
    "hazard_register_new_site": Entry(
        get=override(SITE_MANAGE, same=404, parent=404, inspector=404),
        post=override(SITE_MANAGE, same=404, parent=404, inspector=404),
        args={"id": "@hazard.id"},
        chunk="safety-hazards",
    ),
    "hazard_reporter": Entry(
        get=NOT_THIS_METHOD,
        post=override(SITE_MANAGE, same=403, parent=403, inspector=403),
        args={"id": "@hazard.id"},
        chunk="safety-hazards",
    ),
    "ledger_import": Entry(get=SAFETY_CREATE, post=SAFETY_CREATE, chunk="safety-sites"),
    "ledger_confirm": Entry(
        get=NOT_THIS_METHOD,
        post=override(
            SAFETY_CREATE,
            same="redirect",
            parent="redirect",
            sibling="redirect",
            outsider="redirect",
            inspector="redirect",
        ),
        chunk="safety-sites",
    ),
    "hazard_ledger_export": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="safety-hazards"),
    "enforcement_list": Entry(
        get=override(SAFETY_CREATE, supervisor="ok", viewer="ok"),
        post=NOT_THIS_METHOD,
        chunk="safety-hazards",
    ),
    "enforcement_create": Entry(get=SAFETY_CREATE, post=SAFETY_CREATE, chunk="safety-hazards"),
    "enforcement_detail": Entry(
        get=ACCIDENT_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@enforcement.id"},
        chunk="safety-hazards",
    ),
    "enforcement_document": Entry(
        get=ACCIDENT_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@enforcement.id"},
        chunk="safety-hazards",
    ),
    "enforcement_execute": Entry(
        get=NOT_THIS_METHOD,
        post=override(INSPECTION_STEP, member=404, accused=404, clerk=404),
        args={"id": "@enforcement.id"},
        chunk="safety-hazards",
    ),
    "enforcement_reinspect": Entry(
        get=override(ACCIDENT_READ, supervisor=403, viewer=403),
        post=override(ACCIDENT_READ, supervisor=403, viewer=403),
        args={"id": "@enforcement.id"},
        chunk="safety-hazards",
    ),
    "hazard_statistics": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="safety-hazards"),
    "hazard_statistics_xlsx": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="safety-hazards"),
    "hazard_inspection_task": Entry(
        get=NOT_THIS_METHOD,
        post=HAZARD_WRITE_FORM,
        args={"id": "@hazard.id"},
        chunk="safety-hazards",
    ),
    "supervision_board": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="supervision"),
    "supervision_clock_go": Entry(
        # a deadline of T1 sends those who see T1's deadlines on to its item (an inspector is
        # sent on too, and the petition page then refuses them with 404)
        get=row(
            404,
            same="redirect",
            member="redirect",
            parent="redirect",
            accused="redirect",
            clerk="redirect",
            inspector="redirect",
            supervisor="redirect",
            viewer="redirect",
        ),
        post=NOT_THIS_METHOD,
        args={"pk": "@clock.pk"},
        chunk="supervision",
    ),
    "supervision_inbox": Entry(get=SIGNED_IN, post=NOT_THIS_METHOD, chunk="supervision"),
    "supervision_inbox_read_all": Entry(
        get=NOT_THIS_METHOD, post=row("redirect"), chunk="supervision"
    ),
    "supervision_inbox_read": Entry(
        get=NOT_THIS_METHOD,
        post=override(PUBLIC_NOT_FOUND, same="redirect", anonymous="login"),
        args={"pk": "@inbox.pk"},
        chunk="supervision",
    ),
    "supervision_preferences": Entry(get=SIGNED_IN, post=row("redirect"), chunk="supervision"),
    "notice_list": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="supervision"),
    "notice_create": Entry(
        get=override(SAFETY_CREATE, inspector=403, supervisor="ok"),
        post=override(SAFETY_CREATE, inspector=403, supervisor="ok"),
        chunk="supervision",
    ),
    "notice_detail": Entry(
        get=SAFETY_ITEM_READ, post=NOT_THIS_METHOD, args={"id": "@notice.id"}, chunk="supervision"
    ),
    "notice_reply": Entry(
        get=NOT_THIS_METHOD,
        post=override(
            INSPECTION_MANAGE, same=400, member=400, parent=400, accused=400, inspector=403
        ),
        args={"id": "@notice.id"},
        chunk="supervision",
    ),
    "notice_accept": Entry(
        get=NOT_THIS_METHOD,
        post=override(
            INSPECTION_MANAGE, same=403, parent=403, inspector=403, supervisor="redirect"
        ),
        args={"id": "@notice.id"},
        chunk="supervision",
    ),
    "notice_send_back": Entry(
        get=NOT_THIS_METHOD,
        post=override(INSPECTION_MANAGE, same=403, parent=403, inspector=403, supervisor=400),
        args={"id": "@notice.id"},
        chunk="supervision",
    ),
    "notice_document": Entry(
        get=SAFETY_ITEM_READ, post=NOT_THIS_METHOD, args={"id": "@notice.id"}, chunk="supervision"
    ),
    "notice_attachment": Entry(
        get=SAFETY_ITEM_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@answered.id", "file": "@notice.file"},
        chunk="supervision",
    ),
    "portal_home": Entry(get=PUBLIC, post=PUBLIC, chunk="portal"),
    "portal_petition_submit": Entry(get=PUBLIC, post=PUBLIC, chunk="portal"),
    "portal_track": Entry(get=PUBLIC, post=PUBLIC, chunk="portal"),
    "portal_reception": Entry(get=PUBLIC, post=PUBLIC_NOT_THIS_METHOD, chunk="portal"),
    "portal_reception_book": Entry(
        get=PUBLIC, post=PUBLIC, args={"pk": "@reception_session.pk"}, chunk="portal"
    ),
    "portal_reception_lookup": Entry(get=PUBLIC, post=PUBLIC, chunk="portal"),
    "portal_hazard_report": Entry(get=PUBLIC, post=PUBLIC, chunk="portal"),
    "portal_hazard_track": Entry(get=PUBLIC, post=PUBLIC, chunk="portal"),
    "open311_discovery": Entry(
        get=PUBLIC, post=PUBLIC_NOT_THIS_METHOD, args={"fmt": "json"}, chunk="portal"
    ),
    "open311_services": Entry(
        get=PUBLIC, post=PUBLIC_NOT_THIS_METHOD, args={"fmt": "json"}, chunk="portal"
    ),
    "open311_service_definition": Entry(
        get=PUBLIC,
        post=PUBLIC_NOT_THIS_METHOD,
        args={"code": "petition-labour", "fmt": "json"},
        chunk="portal",
    ),
    "open311_requests": Entry(
        get=PUBLIC,
        post=override(SYSADMIN_ONLY, sysadmin=403, anonymous=403),
        args={"fmt": "json"},
        chunk="portal",
    ),
    "open311_request": Entry(
        get=PUBLIC_NOT_FOUND,
        post=PUBLIC_NOT_THIS_METHOD,
        args={"request_id": "@open311.request_id", "fmt": "json"},
        chunk="portal",
    ),
    "open311_token": Entry(
        get=PUBLIC_NOT_FOUND,
        post=PUBLIC_NOT_THIS_METHOD,
        args={"token": "@open311.token", "fmt": "json"},
        chunk="portal",
    ),
    "open311_not_found": Entry(
        get=PUBLIC_NOT_FOUND,
        post=PUBLIC_NOT_FOUND,
        args={"path": "nothing-here.json"},
        chunk="portal",
    ),
    "indicator_list": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="reports"),
    "indicator_items": Entry(
        get=STAFF_READ,
        post=NOT_THIS_METHOD,
        args={"key": "timely_acceptance_rate"},
        chunk="reports",
    ),
    "ranking_list": Entry(
        get=override(STAFF_READ, sysadmin="redirect"), post=NOT_THIS_METHOD, chunk="reports"
    ),
    "ranking_xlsx": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="reports"),
    "ranking_docx": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="reports"),
    "ranking_weights": Entry(
        get=override(STAFF_READ, sysadmin="ok"),
        post=override(SYSADMIN_ONLY, sysadmin=400),
        chunk="reports",
    ),
    "dashboard_city": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="reports"),
    "dashboard_unit": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="reports"),
    "dashboard_leader": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="reports"),
    "dashboard_hotspots": Entry(get=STAFF_READ, post=NOT_THIS_METHOD, chunk="reports"),
    "monthly_list": Entry(
        get=STAFF_READ,
        post=override(SAFETY_CREATE, clerk="ok", inspector=403, supervisor="ok"),
        chunk="reports",
    ),
    "monthly_detail": Entry(
        get=SAFETY_ITEM_READ, post=NOT_THIS_METHOD, args={"uid": "@monthly.uid"}, chunk="reports"
    ),
    "monthly_progress": Entry(
        get=SAFETY_ITEM_READ, post=NOT_THIS_METHOD, args={"uid": "@monthly.uid"}, chunk="reports"
    ),
    # the report is queued, not built: there is nothing to download yet, for anyone
    "monthly_download": Entry(
        get=override(PUBLIC_NOT_FOUND, anonymous="login"),
        post=NOT_THIS_METHOD,
        args={"uid": "@monthly.uid", "kind": "docx"},
        chunk="reports",
    ),
}

#: the accusation held by D1 against T2: the pages about it refuse everyone in T2 (``sibling``,
#: and ``accused`` even with a handler role over all of D1) with 404, as they refuse T1
PAGES |= {
    # the accusation's deadline (a clock of D1): the shield reaches the clocks too, so someone
    # living in the accused unit T2 is refused even with a D1-wide role
    "supervision_clock_go@accusation": Entry(
        get=row(
            404,
            parent="redirect",
            clerk="redirect",
            inspector="redirect",
            supervisor="redirect",
            viewer="redirect",
        ),
        post=NOT_THIS_METHOD,
        args={"pk": "@accusation_clock.pk"},
        chunk="accusation",
    ),
    "petition_detail@accusation": Entry(
        get=ACCUSATION_READ, post=NOT_THIS_METHOD, args={"id": "@accusation.id"}, chunk="accusation"
    ),
    "petition_document@accusation": Entry(
        get=ACCUSATION_READ,
        post=NOT_THIS_METHOD,
        args={"id": "@accusation.id", "kind": "acceptance_notice"},
        chunk="accusation",
    ),
    "petition_reveal@accusation": Entry(
        get=NOT_THIS_METHOD,
        post=override(ACCUSATION_READ, supervisor=403, viewer=403),
        args={"id": "@accusation.id"},
        data={"reason": "核实身份以便回访"},
        chunk="accusation",
    ),
    "petition_action@accusation": Entry(
        get=NOT_THIS_METHOD,
        # extending the time limit is the approving unit head's (D1), not a reader's
        post=override(ACCUSATION_WRITE_FORM, clerk=403, supervisor=403, viewer=403),
        args={"id": "@accusation.id", "action": "extend"},
        chunk="accusation",
    ),
}

# --- the API operations ----------------------------------------------------------------
API: dict[str, Entry] = {
    "GET /api/v1/accidents": Entry(
        op=override(SAFETY_CREATE, supervisor="ok", viewer="ok", anonymous=401), chunk="api-safety"
    ),
    "GET /api/v1/accidents/{id}": Entry(
        op=API_ACCIDENT_READ, args={"id": "@accident.id"}, chunk="api-safety"
    ),
    "GET /api/v1/checklists": Entry(op=API_STAFF_READ, chunk="api-safety"),
    "GET /api/v1/checklists/{id}": Entry(
        op=API_STAFF_READ, args={"id": "@checklist.pk"}, chunk="api-safety"
    ),
    "GET /api/v1/enforcement-orders": Entry(
        op=override(SAFETY_CREATE, supervisor="ok", viewer="ok", anonymous=401), chunk="api-safety"
    ),
    "GET /api/v1/enforcement-orders/{id}": Entry(
        op=API_ACCIDENT_READ, args={"id": "@enforcement.id"}, chunk="api-safety"
    ),
    "GET /api/v1/enforcement-orders/{id}/document.docx": Entry(
        op=API_ACCIDENT_READ, args={"id": "@enforcement.id"}, chunk="api-safety"
    ),
    "GET /api/v1/hazards": Entry(op=API_SAFETY_LIST, chunk="api-safety"),
    "GET /api/v1/hazards/{id}": Entry(
        op=API_SITE_ITEM_READ, args={"id": "@hazard.id"}, chunk="api-safety"
    ),
    "GET /api/v1/hazards/{id}/files/{file}": Entry(
        op=API_SITE_ITEM_READ, args={"id": "@hazard.id", "file": "@hazard.file"}, chunk="api-safety"
    ),
    "GET /api/v1/inspection-plans": Entry(op=API_STAFF_READ, chunk="api-safety"),
    "GET /api/v1/inspection-plans/{id}": Entry(
        op=API_SAFETY_ITEM_READ, args={"id": "@plan.id"}, chunk="api-safety"
    ),
    "GET /api/v1/inspections": Entry(op=API_SAFETY_LIST, chunk="api-safety"),
    "GET /api/v1/inspections/{id}": Entry(
        op=API_SAFETY_ITEM_READ, args={"id": "@inspection.id"}, chunk="api-safety"
    ),
    "GET /api/v1/inspections/{id}/files/{file}": Entry(
        op=API_SAFETY_ITEM_READ,
        args={"id": "@inspection.id", "file": "@inspection.file"},
        chunk="api-safety",
    ),
    "GET /api/v1/inspections/{id}/record.docx": Entry(
        op=API_SAFETY_ITEM_READ, args={"id": "@inspection.id"}, chunk="api-safety"
    ),
    "GET /api/v1/kpis": Entry(
        op=override(API_SAFETY_ITEM_READ, sibling="ok", outsider="ok"), chunk="api-petitions"
    ),
    "GET /api/v1/kpis/{key}/items": Entry(
        op=override(API_SAFETY_ITEM_READ, sibling="ok", outsider="ok"),
        args={"key": "timely_acceptance_rate"},
        chunk="api-petitions",
    ),
    "GET /api/v1/me": Entry(op=API_SIGNED_IN, chunk="api-petitions"),
    "GET /api/v1/people": Entry(
        op=override(
            SAFETY_CREATE, inspector=403, sysadmin="ok", secadmin="ok", auditor="ok", anonymous=401
        ),
        chunk="api-petitions",
    ),
    "GET /api/v1/people/{username}": Entry(
        op=row(
            404, same="ok", parent="ok", sysadmin="ok", secadmin="ok", auditor="ok", anonymous=401
        ),
        args={"username": "@username"},
        chunk="api-petitions",
    ),
    "GET /api/v1/people/{username}/roles": Entry(
        op=row(
            404, same="ok", parent="ok", sysadmin="ok", secadmin="ok", auditor="ok", anonymous=401
        ),
        args={"username": "@username"},
        chunk="api-petitions",
    ),
    "GET /api/v1/petition-categories": Entry(op=API_SIGNED_IN, chunk="api-petitions"),
    # as the ledger page (fixed: was 200 with an empty list for those without petition.view)
    "GET /api/v1/petitions": Entry(
        op=override(PETITION_LEDGER, anonymous=401), chunk="api-petitions"
    ),
    "GET /api/v1/petitions/{id}": Entry(
        op=API_PETITION_READ, args={"id": "@petition.id"}, chunk="api-petitions"
    ),
    "GET /api/v1/petitions/{id}/attachments": Entry(
        op=API_PETITION_READ, args={"id": "@petition.id"}, chunk="api-petitions"
    ),
    "GET /api/v1/petitions/{id}/attachments/{file}": Entry(
        op=API_PETITION_READ,
        args={"id": "@petition.id", "file": "@petition.file"},
        chunk="api-petitions",
    ),
    "GET /api/v1/petitions/{id}/documents/{kind}.docx": Entry(
        op=API_PETITION_READ,
        args={"id": "@petition.id", "kind": "forward_notice"},
        chunk="api-petitions",
    ),
    "GET /api/v1/petitions/{id}/plan": Entry(
        op=API_PETITION_READ, args={"id": "@petition.id"}, chunk="api-petitions"
    ),
    "GET /api/v1/petitions/{id}/timeline": Entry(
        op=API_PETITION_READ, args={"id": "@petition.id"}, chunk="api-petitions"
    ),
    "GET /api/v1/rankings": Entry(op=API_STAFF_READ, chunk="api-petitions"),
    "GET /api/v1/reception-sessions": Entry(
        op=override(PETITION_LEDGER, anonymous=401), chunk="api-petitions"
    ),
    "GET /api/v1/reception-sessions/{id}": Entry(
        op=API_PETITION_READ, args={"id": "@reception_session.pk"}, chunk="api-petitions"
    ),
    "GET /api/v1/sectors": Entry(op=API_SAFETY_LIST, chunk="api-safety"),
    "GET /api/v1/sites": Entry(op=API_SAFETY_LIST, chunk="api-safety"),
    "GET /api/v1/sites/{id}": Entry(
        op=API_SITE_ITEM_READ, args={"id": "@site.id"}, chunk="api-safety"
    ),
    "GET /api/v1/sites/{id}/permits": Entry(
        op=API_SITE_ITEM_READ, args={"id": "@site.id"}, chunk="api-safety"
    ),
    # as the list page (fixed: was 200 with an empty list for those without notice.view)
    "GET /api/v1/supervision-notices": Entry(op=API_STAFF_READ, chunk="api-petitions"),
    "GET /api/v1/supervision-notices/{id}": Entry(
        op=API_SAFETY_ITEM_READ, args={"id": "@notice.id"}, chunk="api-petitions"
    ),
    "GET /api/v1/units": Entry(op=API_SIGNED_IN, chunk="api-petitions"),
    "GET /api/v1/units/{code}": Entry(
        op=override(API_SIGNED_IN, enterprise=404, enterprise2=404),
        args={"code": "@code"},
        chunk="api-petitions",
    ),
    # a stale version: past the authorization the answer is 409
    "PATCH /api/v1/inspections/{id}": Entry(
        op=override(INSPECTION_MANAGE, anonymous=401),
        data={"version": 999},
        args={"id": "@inspection.id"},
        chunk="api-safety",
    ),
    # a stale version: past the authorization the answer is 409
    "PATCH /api/v1/sites/{id}": Entry(
        op=override(SITE_MANAGE, anonymous=401),
        data={"version": 999},
        args={"id": "@site.id"},
        chunk="api-safety",
    ),
    "PATCH /api/v1/sites/{id}/permits/{pk}": Entry(
        op=override(SITE_MANAGE, anonymous=401),
        data={"version": 999},
        args={"id": "@site.id", "pk": "@permit.pk"},
        chunk="api-safety",
    ),
    "POST /api/v1/accidents": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-safety"),
    "POST /api/v1/accidents/{id}/actions/{action}": Entry(
        op=override(API_ACCIDENT_READ, supervisor=403, viewer=403),
        args={"id": "@accident.id", "action": "county_reported"},
        chunk="api-safety",
    ),
    "POST /api/v1/enforcement-orders": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-safety"),
    "POST /api/v1/enforcement-orders/{id}/execute": Entry(
        op=override(API_ACCIDENT_READ, supervisor=403, viewer=403),
        args={"id": "@enforcement.id"},
        chunk="api-safety",
    ),
    # the order's readers (not case handlers, clerks or the enterprise) may not record it
    "POST /api/v1/enforcement-orders/{id}/reinspection": Entry(
        op=override(SITE_MANAGE, member=404, accused=404, clerk=404, enterprise=404, anonymous=401),
        data={"passed": True},
        args={"id": "@enforcement.id"},
        chunk="api-safety",
    ),
    "POST /api/v1/hazards": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-safety"),
    "POST /api/v1/hazards/{id}/actions/{action}": Entry(
        op=override(HAZARD_MANAGE, anonymous=401),
        args={"id": "@hazard.id", "action": "start_rectification"},
        chunk="api-safety",
    ),
    "POST /api/v1/hazards/{id}/evidence": Entry(
        op=API_BODY_CHECKED_FIRST, args={"id": "@hazard.id"}, chunk="api-safety"
    ),
    "POST /api/v1/hazards/{id}/inspection-task": Entry(
        op=row(
            409,
            sibling=404,
            outsider=404,
            sysadmin=404,
            secadmin=404,
            auditor=404,
            enterprise2=404,
            anonymous=401,
        ),
        args={"id": "@hazard.id"},
        chunk="api-safety",
    ),
    "POST /api/v1/inspection-plans": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-safety"),
    "POST /api/v1/inspections": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-safety"),
    "POST /api/v1/inspections/{id}/hazards": Entry(
        op=override(INSPECTION_MANAGE, same=400, parent=400, inspector=400, anonymous=401),
        args={"id": "@inspection.id"},
        chunk="api-safety",
    ),
    "POST /api/v1/inspections/{id}/penalty": Entry(
        op=override(INSPECTION_MANAGE, anonymous=401),
        data={"version": 999},
        args={"id": "@inspection.id"},
        chunk="api-safety",
    ),
    "POST /api/v1/inspections/{id}/refusal": Entry(
        op=override(INSPECTION_MANAGE, anonymous=401),
        data={"version": 999, "note": "拒绝签字"},
        args={"id": "@inspection.id"},
        chunk="api-safety",
    ),
    "POST /api/v1/inspections/{id}/sign": Entry(
        op=override(INSPECTION_MANAGE, anonymous=401),
        data={"version": 999, "signer": "inspector"},
        args={"id": "@inspection.id"},
        chunk="api-safety",
    ),
    "POST /api/v1/petitions": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-petitions"),
    "POST /api/v1/petitions/{id}/actions/{action}": Entry(
        op=row(
            404,
            same=400,
            member=400,
            parent=400,
            accused=400,
            clerk=400,
            supervisor=400,
            viewer=400,
            anonymous=401,
        ),
        args={"id": "@petition.id", "action": "accept"},
        chunk="api-petitions",
    ),
    "POST /api/v1/petitions/{id}/attachments": Entry(
        op=API_BODY_CHECKED_FIRST, args={"id": "@petition.id"}, chunk="api-petitions"
    ),
    # the petition is registered, not accepted: nobody handles it yet (403 to who sees it)
    "POST /api/v1/petitions/{id}/hazard": Entry(
        op=override(
            PETITION_READ,
            same=403,
            member=403,
            parent=403,
            accused=403,
            clerk=403,
            supervisor=403,
            viewer=403,
            anonymous=401,
        ),
        data={"site": "@site.id", "description": "配电箱未上锁"},
        args={"id": "@petition.id"},
        chunk="api-petitions",
    ),
    "POST /api/v1/petitions/{id}/plan/{op}": Entry(
        op=override(INSPECTION_MANAGE, same=403, parent=403, inspector=404, anonymous=401),
        args={"id": "@petition.id", "op": "owner"},
        chunk="api-petitions",
    ),
    "POST /api/v1/reception-sessions": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-petitions"),
    "POST /api/v1/reception-sessions/{id}/{op}": Entry(
        op=override(
            INSPECTION_MANAGE, same=409, parent=409, clerk=409, inspector=404, anonymous=401
        ),
        args={"id": "@reception_session.pk", "op": "publish"},
        chunk="api-petitions",
    ),
    "POST /api/v1/sites": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-safety"),
    "POST /api/v1/sites/{id}/permits": Entry(
        op=API_BODY_CHECKED_FIRST, args={"id": "@site.id"}, chunk="api-safety"
    ),
    "POST /api/v1/supervision-notices": Entry(op=API_BODY_CHECKED_FIRST, chunk="api-petitions"),
    "POST /api/v1/supervision-notices/{id}/actions/{action}": Entry(
        op=row(
            404,
            same=400,
            member=400,
            parent=400,
            accused=400,
            clerk=403,
            inspector=403,
            supervisor=403,
            viewer=403,
            anonymous=401,
        ),
        args={"id": "@notice.id", "action": "reply"},
        chunk="api-petitions",
    ),
}

API |= {
    "GET /api/v1/petitions/{id}@accusation": Entry(
        op=API_ACCUSATION_READ, args={"id": "@accusation.id"}, chunk="accusation"
    ),
    "GET /api/v1/petitions/{id}/timeline@accusation": Entry(
        op=API_ACCUSATION_READ, args={"id": "@accusation.id"}, chunk="accusation"
    ),
    "GET /api/v1/petitions/{id}/attachments@accusation": Entry(
        op=API_ACCUSATION_READ, args={"id": "@accusation.id"}, chunk="accusation"
    ),
    "GET /api/v1/petitions/{id}/plan@accusation": Entry(
        op=API_ACCUSATION_READ, args={"id": "@accusation.id"}, chunk="accusation"
    ),
    "GET /api/v1/petitions/{id}/documents/{kind}.docx@accusation": Entry(
        op=API_ACCUSATION_READ,
        args={"id": "@accusation.id", "kind": "acceptance_notice"},
        chunk="accusation",
    ),
    "POST /api/v1/petitions/{id}/actions/{action}@accusation": Entry(
        op=override(API_ACCUSATION_READ, clerk=403, supervisor=403, viewer=403),
        args={"id": "@accusation.id", "action": "extend"},
        chunk="accusation",
    ),
}

#: item endpoints whose record is not T1's: the outsider may see it (checked by
#: ``test_an_outsider_never_gets_an_item_of_t1``)
NOT_SCOPED = {
    "unit_detail": "every member of staff may see the organisation tree",
    "GET /api/v1/units/{code}": "every member of staff may see the organisation tree",
    "checklist_detail": "the checklists are the city's, one per sector",
    "checklist_publish": "any unit head or inspector may publish a new version",
    "GET /api/v1/checklists/{id}": "the checklists are the city's, one per sector",
    "portal_reception_book": "a published reception day is public",
}
