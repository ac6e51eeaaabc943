"""Sites and hazards from officials' Excel ledgers (台账), and the hazard ledger as .xlsx.

``ledger_preview`` reads a workbook with :mod:`anxin.core.ledger_import` (which knows no model)
and then resolves each ready row against the database with set-based lookups: every sector
once, the units named in the file in one query, the candidate sites of all the file's credit
codes and names in one query. A row that names an unknown sector or unit, a unit or site
outside the importer's scope, or a site that does not exist or is ambiguous is rejected with a
Chinese message; a row that is already in the database is marked as a duplicate, so importing
the same file twice creates nothing. Nothing is saved.

``ledger_commit`` saves the ready rows through the domain services (``site_create``,
``hazard_create``) in ONE transaction — all of them or none — and records one audit event for
the import with the file's SM3 hash and the counts.

``write_hazard_ledger`` writes the hazard ledger (with the hazard list's filters) row by row
to a temporary .xlsx file: no personal data, formula-safe text, further sheets past
1,048,575 rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
import secrets
import tempfile
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from anxin.core.audit import audit_record
from anxin.core.bulk import gc_paused
from anxin.core.choices import UnitKind
from anxin.core.crypto import decrypt_bytes, encrypt_bytes, sm3_hex
from anxin.core.exports import safe_cell
from anxin.core.ledger_import import (
    Choice,
    Duplicate,
    Field,
    LedgerSpec,
    Preview,
    RowError,
    Text,
    as_credit_code,
    as_date,
    as_money,
    read_ledger,
)
from anxin.core.models import Unit, User
from anxin.core.scoping import can, unit_in_scope
from anxin.safety.hazard_rules import HazardGrade, HazardSource
from anxin.safety.hazard_scoping import site_in_scope
from anxin.safety.hazards import HazardRowRefused
from anxin.safety.models import Sector, Site
from anxin.safety.models_hazards import Hazard
from anxin.safety.services import TERRITORIAL_KINDS

KINDS = ("sites", "hazards")
IMPORT_ACTION = "ledger.import"

RISK_LEVELS = Choice(
    {
        "red": ["重大风险", "重大", "红", "红色"],
        "orange": ["较大风险", "较大", "橙", "橙色"],
        "yellow": ["一般风险", "一般", "黄", "黄色"],
        "blue": ["低风险", "低", "蓝", "蓝色"],
    }
)
GRADES = Choice(
    {
        HazardGrade.GENERAL.value: ["一般", "一般隐患", "一般事故隐患"],
        HazardGrade.MAJOR.value: ["重大", "重大隐患", "重大事故隐患"],
    }
)


def _norm(value: Any) -> str:
    """Text as compared: NFKC, no whitespace, case-folded."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(text.split()).casefold()


def _site_key(row: dict[str, Any]) -> str | None:
    """A site is its credit code; without one, its name in its township or village."""
    if row.get("credit_code"):
        return str(row["credit_code"])
    name = _norm(row.get("name"))
    if not name:
        return None
    return f"{name} / {_norm(row['unit'])}" if row.get("unit") else name


def _hazard_key(row: dict[str, Any]) -> str | None:
    site = row.get("credit_code") or _norm(row.get("site"))
    description = _norm(row.get("description"))
    if not site or not description:
        return None
    found = row.get("found_on")
    return f"{site} / {description} / {found.isoformat() if found else ''}"


SITES = LedgerSpec(
    fields=[
        Field("name", ["单位名称", "企业名称", "场所名称"], Text(max_length=200), required=True),
        Field("credit_code", ["统一社会信用代码", "信用代码", "社会信用代码"], as_credit_code),
        Field("sector", ["行业", "所属行业", "行业领域", "行业类别"], required=True),
        Field(
            "unit",
            ["属地", "所在乡镇（街道）", "乡镇（街道）", "所属乡镇", "所在镇街", "所属街道"],
            Text(max_length=100),
        ),
        Field(
            "address",
            ["地址", "经营地址", "详细地址", "单位地址"],
            Text(max_length=200),
            required=True,
        ),
        Field("risk_level", ["风险等级", "风险级别"], RISK_LEVELS, required=True),
        Field("contact_name", ["联系人", "企业联系人"], Text(max_length=50)),
        Field("contact_phone", ["联系电话", "联系方式", "手机号码"], Text(max_length=30)),
    ],
    key=_site_key,
)

HAZARDS = LedgerSpec(
    fields=[
        Field("site", ["单位名称", "企业名称", "检查对象", "被检查单位"], required=True),
        Field("credit_code", ["统一社会信用代码", "信用代码", "社会信用代码"], as_credit_code),
        Field("description", ["隐患描述", "存在问题", "隐患内容", "问题描述"], required=True),
        Field("place", ["隐患部位", "隐患位置", "具体部位"], Text(max_length=200)),
        Field("grade", ["隐患等级", "隐患级别", "隐患类别"], GRADES, default="general"),
        Field("found_on", ["发现日期", "检查日期", "排查日期", "检查时间"], as_date),
        Field("deadline", ["整改期限", "完成时限", "整改时限"], as_date),
        Field("responsible", ["整改责任人", "责任人"], Text(max_length=100)),
        Field("measures", ["整改措施"]),
        Field("funds", ["整改资金", "投入资金", "整改投入"], as_money),
        Field("remarks", ["备注"]),
    ],
    key=_hazard_key,
)

SPECS = {"sites": SITES, "hazards": HAZARDS}
#: the hazard ledger's plan columns (五落实), saved with the hazard
PLAN_FIELDS = ("responsible", "measures", "funds")


class LedgerError(Exception):
    """A commit that failed: nothing was saved. ``row`` is the sheet row (None: the file)."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


@dataclasses.dataclass
class LedgerPreview(Preview):
    """The engine's preview, resolved against the database, with what the commit needs."""

    kind: str = "sites"
    #: SM3 of the file's bytes
    file_hash: str = ""
    file_name: str = ""
    unit_code: str | None = None
    #: rows that are already in the database (a subset of ``duplicates``)
    existing: int = 0

    @property
    def digest(self) -> str:
        """What the preview would save: equal digests mean an identical commit."""
        # each ready row as the list of its fields in the ledger's order (the engine's fields
        # are all a record holds but the keys starting with "_"): no key sorting per row
        names = [f.name for f in SPECS[self.kind].fields]
        with gc_paused():
            rows = [[r["_row"], *[r.get(name) for name in names]] for r in self.rows_ready]
            payload = {
                "file": self.file_hash,
                "kind": self.kind,
                "unit": self.unit_code,
                "preview": self.to_json(),
                "fields": names,
                "rows": rows,
            }
            return sm3_hex(json.dumps(payload, ensure_ascii=False, default=str))


# --- preview -------------------------------------------------------------------------------


def _read_bytes(file: Any) -> tuple[bytes, str]:
    """The file's bytes and name: ``file`` is a path, bytes or a binary file (an upload)."""
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    if hasattr(file, "read"):
        if hasattr(file, "seek"):
            file.seek(0)
        return file.read(), str(getattr(file, "name", "") or "")
    with open(file, "rb") as handle:
        return handle.read(), str(file).rsplit("/", 1)[-1]


def _in_subtree(unit: Unit | None, root: Unit | None) -> bool:
    if root is None:
        return True
    return unit is not None and unit.path.startswith(root.path)


def ledger_preview(
    kind: str,
    file: Any,
    *,
    user: User | None,
    unit: Unit | None,
    progress: Any = None,
    default_year: int | None = None,
    parsed: tuple[str, Preview] | None = None,
    keep: Callable[[str, Preview], Any] | None = None,
) -> LedgerPreview:
    """Read ``file`` (a path, bytes or an upload) as a ledger of ``kind`` and check every row
    against the database. ``user`` is whose scope applies (None: the system); ``unit`` the
    subtree the rows must lie in (None: anywhere). Saves nothing.

    ``parsed`` is ``(file SM3, the engine's preview)`` of an earlier read of the same file
    (see :func:`ledger_parsed_keep`): the file is then not read again, only checked against
    the database again. ``keep`` is called with the file's SM3 and the engine's preview
    before the database checks (which change it)."""
    if kind not in SPECS:
        raise ValueError(f"unknown ledger kind: {kind}")
    with gc_paused():  # a big ledger is hundreds of thousands of small objects
        return _preview(kind, file, user, unit, progress, default_year, parsed, keep)


def _preview(
    kind: str,
    file: Any,
    user: User | None,
    unit: Unit | None,
    progress: Any,
    default_year: int | None,
    parsed: tuple[str, Preview] | None,
    keep: Callable[[str, Preview], Any] | None,
) -> LedgerPreview:
    data, name = _read_bytes(file)
    file_hash = sm3_hex(data)
    if parsed is not None and parsed[0] == file_hash:
        preview = parsed[1]
    else:
        preview = read_ledger(
            data,
            SPECS[kind],
            default_year=default_year or timezone.localdate().year,
            progress=progress,
        )
    if keep is not None:
        keep(file_hash, preview)
    result = LedgerPreview(
        **{f.name: getattr(preview, f.name) for f in dataclasses.fields(Preview)},
        kind=kind,
        file_hash=file_hash,
        file_name=name[:120],
        unit_code=unit.code if unit is not None else None,
    )
    if result.rows_ready:
        if kind == "sites":
            _resolve_sites(result, user=user, root=unit)
        else:
            _resolve_hazards(result, user=user, root=unit)
    return result


class _Verdicts:
    """The rows the database checks turn away, applied to the preview in one pass at the end
    (``Preview.reject`` rebuilds the list of ready rows for each row it turns away)."""

    def __init__(self, preview: LedgerPreview) -> None:
        self.preview = preview
        self.out: set[int] = set()

    def reject(self, record: dict[str, Any], field: str, message: Any, *, code: str) -> None:
        """As ``Preview.reject``: the row becomes an error with the caller's message."""
        self.out.add(id(record))
        column = self.preview.columns.get(field, field)
        self.preview.errors.append(RowError(record["_row"], column, code, text=message))

    def already(self, record: dict[str, Any], key: str) -> None:
        """The row is in the database already: a duplicate, not saved again."""
        self.duplicate(record, key, 0)
        self.preview.existing += 1

    def duplicate(self, record: dict[str, Any], key: str, first_row: int) -> None:
        self.out.add(id(record))
        self.preview.duplicates.append(Duplicate(record["_row"], key, first_row))

    def apply(self) -> None:
        preview = self.preview
        if self.out:
            preview.rows_ready = [r for r in preview.rows_ready if id(r) not in self.out]
        # stable sorts: the order of appending each and sorting each time
        preview.errors.sort(key=lambda e: -1 if e.row is None else e.row)
        preview.duplicates.sort(key=lambda d: d.row)


def _outside(root: Unit | None) -> str:
    if root is None:
        return _("This unit is outside your scope.")
    return _("This unit is outside your scope (%(unit)s and the units under it).") % {
        "unit": root.name
    }


def _resolve_sites(preview: LedgerPreview, *, user: User | None, root: Unit | None) -> None:
    rows = list(preview.rows_ready)
    verdicts = _Verdicts(preview)
    sectors: dict[str, Sector] = {}
    for each in Sector.objects.select_related("department"):
        sectors.setdefault(_norm(each.code), each)
        sectors.setdefault(_norm(each.name), each)
    unit_names = {str(r["unit"]).strip() for r in rows if r.get("unit")}
    units_by_name: dict[str, list[Unit]] = {}
    if unit_names:
        for u in Unit.objects.filter(
            Q(name__in=unit_names) | Q(code__in=unit_names), is_active=True
        ):
            for label in {_norm(u.name), _norm(u.code)}:
                units_by_name.setdefault(label, []).append(u)
    codes = {r["credit_code"] for r in rows if r.get("credit_code")}
    names = {str(r["name"]).strip() for r in rows}
    existing = list(
        Site.objects.filter(Q(credit_code__in=codes) | Q(name__in=names)).values_list(
            "credit_code", "name", "unit_id"
        )
    )
    existing_codes = {code for code, _name, _unit in existing if code}
    existing_names = {(_norm(name), unit_id) for _code, name, unit_id in existing}

    for record in rows:
        sector = sectors.get(_norm(record["sector"]))
        if sector is None:
            verdicts.reject(
                record,
                "sector",
                _("Unknown sector “%(value)s”; use one of the sector names of the register.")
                % {"value": record["sector"]},
                code="unknown_sector",
            )
            continue
        if not sector.is_active:
            verdicts.reject(
                record,
                "sector",
                _("The sector “%(value)s” is no longer in use.") % {"value": sector.name},
                code="inactive_sector",
            )
            continue
        if record.get("unit"):
            matches = [
                u for u in units_by_name.get(_norm(record["unit"]), []) if _in_subtree(u, root)
            ]
            if not matches and units_by_name.get(_norm(record["unit"])):
                verdicts.reject(record, "unit", _outside(root), code="unit_out_of_scope")
                continue
            if not matches:
                verdicts.reject(
                    record,
                    "unit",
                    _("Unknown township or village “%(value)s”.") % {"value": record["unit"]},
                    code="unknown_unit",
                )
                continue
            if len(matches) > 1:
                verdicts.reject(
                    record,
                    "unit",
                    _("Several units are named “%(value)s”; choose the township to import into.")
                    % {"value": record["unit"]},
                    code="ambiguous_unit",
                )
                continue
            unit = matches[0]
        elif root is not None and root.kind in TERRITORIAL_KINDS:
            unit = root
        else:
            verdicts.reject(
                record,
                "unit",
                _("Give the township or village of the site, or import into a township."),
                code="unit_required",
            )
            continue
        if unit.kind not in TERRITORIAL_KINDS:
            verdicts.reject(
                record,
                "unit",
                _("The territorial unit must be a township or street, or a village or community."),
                code="unit_not_territorial",
            )
            continue
        if user is not None and not (
            unit_in_scope(user, "site.manage", unit)
            or unit_in_scope(user, "site.manage", sector.department)
        ):
            verdicts.reject(record, "unit", _outside(root), code="unit_out_of_scope")
            continue
        code = record.get("credit_code") or ""
        if code and code in existing_codes:
            verdicts.already(record, code)
            continue
        if (_norm(record["name"]), unit.pk) in existing_names:
            verdicts.already(record, str(record["name"]))
            continue
        record["_sector"], record["_unit"] = sector, unit
    verdicts.apply()


def _resolve_hazards(preview: LedgerPreview, *, user: User | None, root: Unit | None) -> None:
    rows = list(preview.rows_ready)
    verdicts = _Verdicts(preview)
    codes = {r["credit_code"] for r in rows if r.get("credit_code")}
    names = {str(r["site"]).strip() for r in rows}
    candidates: Any = Site.objects.filter(Q(credit_code__in=codes) | Q(name__in=names))
    if user is not None:
        candidates = candidates.restrict(user, "view")
    by_code: dict[str, Site] = {}
    by_name: dict[str, list[Site]] = {}
    for site in candidates.select_related("unit", "regulating_unit"):
        if site.credit_code:
            by_code[site.credit_code] = site
        by_name.setdefault(site.name.strip(), []).append(site)
    today = timezone.localdate()

    found: list[tuple[dict[str, Any], Site]] = []
    allowed: dict[int, bool] = {}
    for record in rows:
        site = by_code.get(record.get("credit_code") or "")
        if site is None:
            named = by_name.get(str(record["site"]).strip(), [])
            if len(named) > 1:
                verdicts.reject(
                    record,
                    "site",
                    _(
                        "Several sites are named “%(name)s”; add the unified social credit "
                        "code to tell them apart."
                    )
                    % {"name": record["site"]},
                    code="ambiguous_site",
                )
                continue
            site = named[0] if named else None
        if site is None:
            verdicts.reject(
                record,
                "site",
                _(
                    "No site “%(name)s” is registered (looked up by the unified social credit "
                    "code and the exact name); import or register the site first."
                )
                % {"name": record["site"]},
                code="site_not_found",
            )
            continue
        site_id = site.id
        if site_id not in allowed:  # once per site, not once per row
            in_root = _in_subtree(site.unit, root) or _in_subtree(site.regulating_unit, root)
            allowed[site_id] = in_root and (
                user is None or site_in_scope(user, "hazard.manage", site)
            )
        if not allowed[site_id]:
            verdicts.reject(record, "site", _outside(root), code="site_out_of_scope")
            continue
        found_on, deadline = record.get("found_on"), record.get("deadline")
        if found_on is not None and found_on > today:
            verdicts.reject(
                record,
                "found_on",
                _("The day found cannot be in the future."),
                code="found_in_future",
            )
            continue
        if deadline is not None and found_on is not None and deadline < found_on:
            verdicts.reject(
                record,
                "deadline",
                _("The deadline cannot be before the day the hazard was found."),
                code="deadline_before_found",
            )
            continue
        if deadline is not None and found_on is None and deadline < today:
            verdicts.reject(
                record,
                "deadline",
                _(
                    "The deadline has passed and the ledger gives no day the hazard was found; "
                    "add the column 发现日期."
                ),
                code="deadline_passed",
            )
            continue
        found.append((record, site))

    site_ids = {site.id for _record, site in found}
    known: set[tuple[int, str, dt.date | None]] = set()
    # the local day found, computed by the database (not a time zone conversion per hazard)
    days = (
        Hazard.objects.filter(site_id__in=site_ids)
        .annotate(day=TruncDate("found_at", tzinfo=timezone.get_current_timezone()))
        .values_list("site_id", "description", "day")
    )
    for site_id, description, day in days:
        text = _norm(description)
        known.add((site_id, text, day))
        known.add((site_id, text, None))
    first_rows: dict[tuple[int, str, dt.date | None], int] = {}
    for record, site in found:
        key = (site.id, _norm(record["description"]), record.get("found_on"))
        shown = f"{site.name} / {record['description']}"
        if key in known:
            verdicts.already(record, shown)
            continue
        if key in first_rows:  # the same site written once by code, once by name
            verdicts.duplicate(record, shown, first_rows[key])
            continue
        first_rows[key] = record["_row"]
        record["_site"] = site
    verdicts.apply()


# --- the parsed preview, kept between upload and confirmation --------------------------------

#: parsed previews older than this are deleted by ``ledger_parsed_purge`` (a periodic job)
PARSED_MAX_AGE = dt.timedelta(hours=6)


def _parsed_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "ledger-previews"


def ledger_parsed_keep(file_hash: str, preview: Preview, *, user: User) -> str:
    """Keep the engine's preview of an uploaded ledger, so the confirmation does not read the
    file again: pickled, compressed and SM4-GCM encrypted in a file named by a random token,
    bound to ``user``. Returns the token (for the user's session)."""
    token = secrets.token_hex(16)
    with gc_paused():
        payload = pickle.dumps((user.pk, file_hash, preview), protocol=pickle.HIGHEST_PROTOCOL)
    folder = _parsed_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{token}.bin"
    partial = path.with_suffix(".tmp")
    partial.write_bytes(encrypt_bytes(zlib.compress(payload, 1)))
    partial.replace(path)
    return token


def ledger_parsed_load(token: Any, *, user: User) -> tuple[str, Preview] | None:
    """The ``(file SM3, preview)`` kept under ``token`` for ``user``; None if there is none
    (unknown or expired token, another user, a damaged file)."""
    if not isinstance(token, str) or len(token) != 32 or not token.isalnum():
        return None
    path = _parsed_dir() / f"{token}.bin"
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    try:
        # authenticated (GCM) with the server's key before anything is unpickled
        with gc_paused():
            owner, file_hash, preview = pickle.loads(zlib.decompress(decrypt_bytes(blob)))  # noqa: S301
    except Exception:  # a damaged or foreign file: read the ledger again
        return None
    if owner != user.pk or not isinstance(preview, Preview):
        return None
    return file_hash, preview


def ledger_parsed_drop(token: Any) -> None:
    """Delete a kept preview (once saved, or replaced by a new upload)."""
    if isinstance(token, str) and len(token) == 32 and token.isalnum():
        (_parsed_dir() / f"{token}.bin").unlink(missing_ok=True)


def ledger_parsed_purge(*, now: dt.datetime | None = None) -> int:
    """Delete kept previews older than :data:`PARSED_MAX_AGE`; returns how many."""
    cutoff = (now or timezone.now()).timestamp() - PARSED_MAX_AGE.total_seconds()
    removed = 0
    folder = _parsed_dir()
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


# --- commit ------------------------------------------------------------------------------------


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    return _("You may not do this here.")


def ledger_commit(kind: str, preview: LedgerPreview, *, actor: User | None) -> dict[str, int]:
    """Save every ready row of ``preview`` through the domain services, in one transaction:
    all of them, or (raising :class:`LedgerError` naming the row) none. Returns the counts."""
    if kind != preview.kind:
        raise ValueError("the preview is of another kind of ledger")
    if actor is not None and not can(actor, IMPORT_ACTION):
        raise PermissionDenied
    row: int | None = None
    try:
        with gc_paused(), transaction.atomic():
            if kind == "sites":
                for record in preview.rows_ready:
                    row = record["_row"]
                    _save_site(record, actor)
            else:
                _save_hazards(preview.rows_ready, actor)
            row = None
            counts = {
                "rows_read": preview.rows_read,
                "created": len(preview.rows_ready),
                "duplicates": len(preview.duplicates),
                "existing": preview.existing,
                "errors": len(preview.errors),
            }
            audit_record(
                actor=actor,
                action=f"ledger.import_{kind}",
                object_type="safety.ledger",
                object_id=kind,
                object_repr=preview.file_name or kind,
                after={
                    "kind": kind,
                    "file_sm3": preview.file_hash,
                    "file_name": preview.file_name,
                    "unit": preview.unit_code,
                    **counts,
                },
            )
    except HazardRowRefused as refused:
        row = preview.rows_ready[refused.index]["_row"]
        message = _("Row %(row)s: %(message)s Nothing was imported.") % {
            "row": row,
            "message": _message(refused.error),
        }
        raise LedgerError(message, row=row) from refused.error
    except (ValidationError, PermissionDenied) as exc:
        message = _message(exc)
        if row is not None:
            message = _("Row %(row)s: %(message)s Nothing was imported.") % {
                "row": row,
                "message": message,
            }
        raise LedgerError(message, row=row) from exc
    return counts


def _save_site(record: dict[str, Any], actor: User | None) -> None:
    from anxin.safety.services import site_create

    site_create(
        actor=actor,
        name=record["name"],
        credit_code=record.get("credit_code") or "",
        sector=record["_sector"],
        unit=record["_unit"],
        address=record["address"],
        risk_level=record["risk_level"],
        contact_name=record.get("contact_name") or "",
        contact_phone=record.get("contact_phone") or "",
    )


def _found_at(day: dt.date | None) -> dt.datetime | None:
    """The day found, at 09:00 local time as on the hazard form (never later than now)."""
    if day is None:
        return None
    return min(timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0))), timezone.now())


def _hazard_row(record: dict[str, Any]) -> dict[str, Any]:
    """A ready row of the hazard ledger → the arguments of one hazard of the service."""
    return {
        "site": record["_site"],
        "description": record["description"],
        "place": record.get("place") or "",
        "grade": record.get("grade") or HazardGrade.GENERAL,
        "deadline": record.get("deadline"),
        "found_at": _found_at(record.get("found_on")),
        "responsible": record.get("responsible") or "",
        "measures": record.get("measures") or "",
        "funds": record.get("funds"),
    }


def _save_hazard(record: dict[str, Any], actor: User | None) -> None:
    """One row through :func:`hazard_create` (the per-row path; the import saves them all at
    once with :func:`_save_hazards`, which creates the same rows)."""
    from anxin.safety.hazards import hazard_create

    hazard_create(actor=actor, source=HazardSource.OTHER, **_hazard_row(record))


def _save_hazards(records: list[dict[str, Any]], actor: User | None) -> None:
    """Every ready row through :func:`anxin.safety.hazards.hazards_import`: the same checks,
    rows and audit events as one :func:`hazard_create` per row, in a few statements."""
    from anxin.safety.hazards import hazards_import

    hazards_import(actor=actor, rows=[_hazard_row(r) for r in records], source=HazardSource.OTHER)


# --- the hazard ledger as .xlsx ------------------------------------------------------------

SHEET_ROWS = 1_048_575  # plus the header row
BATCH = 2000

EXPORT_HEADER = (
    gettext_lazy("Hazard number"),
    gettext_lazy("Site"),
    gettext_lazy("Unified social credit code"),
    gettext_lazy("Sector"),
    gettext_lazy("Territorial unit"),
    gettext_lazy("Hazard description"),
    gettext_lazy("Place"),
    gettext_lazy("Grade"),
    gettext_lazy("Status"),
    gettext_lazy("Source"),
    gettext_lazy("Found on"),
    gettext_lazy("Deadline"),
    gettext_lazy("Rectification measures"),
    gettext_lazy("Funds (yuan)"),
    gettext_lazy("Listed for supervision"),
    gettext_lazy("Closed on"),
)


def _export_rows(qs: Any) -> Iterator[list[Any]]:
    """Rows of the hazard ledger, read in batches; no person's name or phone."""
    qs = qs.select_related("site", "site__sector", "unit", "supervision_unit").order_by(
        "-found_at", "-id"
    )
    for h in qs.iterator(chunk_size=BATCH):
        site = h.site
        yield [
            h.number,
            safe_cell(site.name) if site else "",
            site.credit_code if site else "",
            safe_cell(site.sector.name) if site else "",
            safe_cell(h.unit.name),
            safe_cell(h.description),
            safe_cell(h.place),
            h.get_grade_display(),
            h.get_status_display(),
            h.get_source_display(),
            timezone.localdate(h.found_at),
            h.deadline,
            safe_cell(h.measures),
            h.funds,
            safe_cell(h.supervision_unit.name) if h.supervision_unit else "",
            timezone.localdate(h.closed_at) if h.closed_at else None,
        ]


@transaction.atomic
def hazard_ledger_export_record(*, actor: User | None, filters: dict[str, Any]) -> None:
    """The export leaves a trace: who exported the hazard ledger, with which filters."""
    audit_record(
        actor=actor,
        action="hazard.ledger_export",
        object_type="safety.ledger",
        object_id="hazards",
        after={"filters": {k: v for k, v in filters.items() if v}},
    )


def write_hazard_ledger(qs: Any) -> IO[bytes]:
    """Write the hazards of ``qs`` to a temporary .xlsx file and return it, rewound."""
    workbook = Workbook(write_only=True)
    header = [str(h) for h in EXPORT_HEADER]
    title = _("Hazard ledger")
    sheet = None
    written = SHEET_ROWS
    for row in _export_rows(qs):
        if written >= SHEET_ROWS:
            number = len(workbook.worksheets) + 1
            sheet = workbook.create_sheet(title if number == 1 else f"{title} {number}")
            sheet.append(header)
            written = 0
        assert sheet is not None
        sheet.append(row)
        written += 1
    if sheet is None:
        workbook.create_sheet(title).append(header)
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


def territorial_choices(user: User) -> list[Unit]:
    """The units a person may import into: those of their ``ledger.import`` scope."""
    return list(
        Unit.objects.restrict(user, IMPORT_ACTION)
        .filter(is_active=True)
        .exclude(kind=UnitKind.DEPARTMENT)
        .order_by("path")
    )
