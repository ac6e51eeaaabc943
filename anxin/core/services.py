"""The one write path of the core app.

Each service validates, writes in one transaction and records the audit event there. Views,
the API, management commands and tasks only call these. ``actor=None`` means the system itself
(a management command run by an operator, a migration, a periodic job).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Cast, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core import crypto
from anxin.core.audit import audit_record
from anxin.core.choices import ADMIN_ROLES, CHILD_KINDS, DIVISION_KINDS, Role, UnitKind
from anxin.core.errors import check_version
from anxin.core.fields import encrypted_fields
from anxin.core.models import ApiKey, RoleAssignment, Unit, User
from anxin.core.scoping import can, forget_grants, unit_in_scope

UNIT_FIELDS = ("code", "name", "kind", "parent", "division_code", "sort_order", "is_active")
USER_FIELDS = ("username", "name", "unit", "email", "is_active", "must_change_password")


def _require(actor: Any, action: str) -> None:
    """Services called by a person check the person may act; the system (None) always may."""
    if actor is not None and not can(actor, action):
        raise PermissionDenied


def _require_manage(actor: Any, user: User) -> None:
    """An administrator manages accounts in their scope, but not the other two administrators
    (三员分立: the system administrator cannot take over the auditor's or the security
    administrator's account; those are recovered with ``manage.py reset_account``, audited)."""
    _require(actor, "user.manage")
    if actor is None or actor.pk == user.pk:
        return
    if user.unit is not None and not unit_in_scope(actor, "user.manage", user.unit):
        raise PermissionDenied
    theirs = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    if theirs & {str(r) for r in ADMIN_ROLES}:
        raise PermissionDenied


def _snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "code") and not isinstance(value, str):
            value = value.code
        out[name] = value
    return out


# --- Units ----------------------------------------------------------------------------------


def _validate_unit(
    *, code: str, name: str, kind: str, parent: Unit | None, division_code: str
) -> None:
    errors: dict[str, str] = {}
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_." for c in code):
        errors["code"] = _("A unit code is 1–32 letters, digits, '-', '_' or '.'.")
    if not name.strip():
        errors["name"] = _("The unit name is required.")
    if kind not in UnitKind.values:
        errors["kind"] = _("Unknown unit kind.")
    else:
        allowed = CHILD_KINDS[UnitKind(parent.kind) if parent else None]
        if kind not in allowed:
            errors["parent"] = _("A unit of this kind cannot be placed under that parent.")
        if (
            kind in DIVISION_KINDS
            and division_code
            and not (division_code.isdigit() and len(division_code) in (6, 9, 12))
        ):
            errors["division_code"] = _("A statistical division code has 6, 9 or 12 digits.")
        if kind == UnitKind.DEPARTMENT and division_code:
            errors["division_code"] = _("Departments have no division code.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def unit_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    division_code: str = "",
    sort_order: int = 0,
) -> Unit:
    _require(actor, "unit.manage")
    _validate_unit(code=code, name=name, kind=kind, parent=parent, division_code=division_code)
    if Unit.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A unit with this code already exists.")})
    unit = Unit(
        code=code,
        name=name.strip(),
        kind=kind,
        parent=parent,
        division_code=division_code,
        sort_order=sort_order,
        path=(parent.path if parent else "/") + code + "/",
        depth=(parent.depth + 1) if parent else 0,
    )
    try:
        with transaction.atomic():
            unit.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"division_code": _("This division code is already used.")}) from exc
    audit_record(actor=actor, action="unit.create", obj=unit, after=_snapshot(unit, UNIT_FIELDS))
    return unit


@transaction.atomic
def unit_update(
    *, actor: User | None, unit: Unit, version: int | None = None, **changes: Any
) -> Unit:
    _require(actor, "unit.manage")
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    check_version(unit, version)
    if "code" in changes:
        raise ValidationError({"code": _("Unit codes are stable and cannot be changed.")})
    if set(changes) - set(UNIT_FIELDS):
        raise ValidationError(_("These fields cannot be changed here."))
    before = _snapshot(unit, UNIT_FIELDS)
    for key, value in changes.items():
        setattr(unit, key, value)
    parent = unit.parent
    _validate_unit(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        parent=parent,
        division_code=unit.division_code,
    )
    old_path = unit.path
    new_path = (parent.path if parent else "/") + unit.code + "/"
    if parent is not None and parent.path.startswith(old_path):
        raise ValidationError({"parent": _("A unit cannot be moved under its own subtree.")})
    unit.version += 1
    unit.updated_at = timezone.now()
    unit.save(update_fields=[*changes.keys(), "version", "updated_at"])
    if new_path != old_path:
        depth_delta = new_path.count("/") - old_path.count("/")
        Unit.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_delta,
        )
        unit.refresh_from_db(fields=["path", "depth"])
    audit_record(
        actor=actor,
        action="unit.update",
        obj=unit,
        before=before,
        after=_snapshot(unit, UNIT_FIELDS),
    )
    return unit


@transaction.atomic
def units_load(*, actor: User | None, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Create or update units from fixture rows ``{code, name, kind, parent, division_code}``.

    Parents must come before their children. Existing units (by code) are updated in place;
    nothing is deleted.
    """
    _require(actor, "unit.manage")
    existing = {u.code: u for u in Unit.objects.all()}
    created = updated = 0
    for index, row in enumerate(rows):
        parent_code = row.get("parent") or None
        parent = existing.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            raise ValidationError(
                _("Row %(n)d: parent unit %(code)s is not defined before it.")
                % {"n": index + 1, "code": parent_code}
            )
        fields = {
            "name": row["name"],
            "kind": row["kind"],
            "parent": parent,
            "division_code": row.get("division_code", "") or "",
            "sort_order": row.get("sort_order", index),
        }
        unit = existing.get(row["code"])
        if unit is None:
            existing[row["code"]] = unit_create(actor=actor, code=row["code"], **fields)
            created += 1
        elif any(getattr(unit, k) != v for k, v in fields.items()):
            existing[row["code"]] = unit_update(actor=actor, unit=unit, **fields)
            updated += 1
    return {"created": created, "updated": updated}


# --- People ---------------------------------------------------------------------------------


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def generate_initial_password() -> str:
    """A random password meeting the complexity rules, for a first sign-in."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    body = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{body[:4]}-{body[4:8]}-{body[8:]}7aZ"


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    name: str,
    unit: Unit | None,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    must_change_password: bool = True,
    usable_password: bool = True,
) -> tuple[User, str]:
    """Create a person; returns the user and the initial password (to hand over once).

    ``usable_password=False`` creates an account that cannot sign in until an administrator
    issues a password (``password_reset``); the returned password is then empty.
    """
    _require(actor, "user.manage")
    if actor is not None and unit is not None and not unit_in_scope(actor, "user.manage", unit):
        raise PermissionDenied
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("The username is required.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is already taken.")})
    user = User(username=username, name=name.strip(), unit=unit, email=email, phone=phone)
    initial = ""
    if usable_password:
        initial = password or generate_initial_password()
        _validate_password(initial, user)
        user.set_password(initial)
    else:
        user.set_unusable_password()
    user.must_change_password = must_change_password
    user.password_changed_at = timezone.now()
    user.save(force_insert=True)
    audit_record(actor=actor, action="user.create", obj=user, after=_snapshot(user, USER_FIELDS))
    return user, initial


@transaction.atomic
def user_update(
    *, actor: User | None, user: User, version: int | None = None, **changes: Any
) -> User:
    _require_manage(actor, user)
    allowed = {"name", "unit", "email", "phone", "is_active"}
    if set(changes) - allowed:
        raise ValidationError(_("These fields cannot be changed here."))
    user = User.objects.select_for_update().get(pk=user.pk)
    check_version(user, version)
    if actor is not None and actor.pk == user.pk and changes.get("is_active") is False:
        raise ValidationError(_("You cannot deactivate your own account."))
    before = _snapshot(user, [*USER_FIELDS, "phone"])
    for key, value in changes.items():
        setattr(user, key, value)
    user.version += 1
    user.save(update_fields=[*changes.keys(), "version"])
    after = _snapshot(user, [*USER_FIELDS, "phone"])
    # Personal data is never copied into the audit trail in clear.
    before["phone"] = after["phone"] = "***" if before["phone"] != after["phone"] else "="
    audit_record(actor=actor, action="user.update", obj=user, before=before, after=after)
    return user


@transaction.atomic
def password_change(*, actor: User, user: User, old_password: str, new_password: str) -> User:
    """A person changes their own password (also the forced change after an initial one)."""
    if actor.pk != user.pk:
        raise PermissionDenied
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("Your old password was entered incorrectly.")})
    if old_password == new_password:
        raise ValidationError({"password": _("The new password must differ from the old one.")})
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.version += 1
    user.save(update_fields=["password", "must_change_password", "password_changed_at", "version"])
    audit_record(actor=actor, action="user.password_change", obj=user)
    return user


@transaction.atomic
def password_reset(*, actor: User | None, user: User) -> str:
    """An administrator issues a new initial password; the person must change it at sign-in."""
    _require_manage(actor, user)
    initial = generate_initial_password()
    user.set_password(initial)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.version += 1
    user.save(update_fields=["password", "must_change_password", "password_changed_at", "version"])
    audit_record(actor=actor, action="user.password_reset", obj=user)
    return initial


@transaction.atomic
def user_unlock(*, actor: User | None, user: User) -> int:
    """Clear a lockout after failed sign-ins; returns how many attempt records were cleared."""
    _require_manage(actor, user)
    from axes.utils import reset

    cleared = reset(username=user.username)
    audit_record(actor=actor, action="user.unlock", obj=user, after={"cleared": cleared})
    return cleared


# --- Roles ----------------------------------------------------------------------------------


@transaction.atomic
def role_assign(
    *,
    actor: User | None,
    user: User,
    role: str,
    unit: Unit,
    include_subtree: bool = True,
) -> RoleAssignment:
    _require(actor, "role.assign")
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    # Lock the person's row so two concurrent assignments cannot both pass the check below.
    User.objects.select_for_update().filter(pk=user.pk).first()
    held: set[str] = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    admin_roles = {str(r) for r in ADMIN_ROLES}
    if role in admin_roles and held & (admin_roles - {role}):
        raise ValidationError(
            {
                "role": _(
                    "Separation of the three administrators: one person may not hold two of "
                    "the roles system administrator, security administrator and security "
                    "auditor."
                )
            }
        )
    if actor is not None and actor.pk == user.pk:
        raise ValidationError({"role": _("You cannot change your own roles.")})
    if RoleAssignment.objects.filter(user=user, role=role, unit=unit).exists():
        raise ValidationError({"role": _("This person already holds this role for that unit.")})
    if role in admin_roles and role in held:
        raise ValidationError(
            {
                "role": _(
                    "An administrator role is held once, for the whole system; this person holds it."
                )
            }
        )
    if actor is not None and not unit_in_scope(actor, "role.assign", unit):
        raise PermissionDenied
    assignment = RoleAssignment.objects.create(
        user=user, role=role, unit=unit, include_subtree=include_subtree, granted_by=actor
    )
    forget_grants(user)
    audit_record(
        actor=actor,
        action="role.assign",
        obj=user,
        after={"role": role, "unit": unit.code, "include_subtree": include_subtree},
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: User | None, assignment: RoleAssignment) -> None:
    _require(actor, "role.assign")
    if actor is not None and actor.pk == assignment.user_id:
        raise ValidationError({"role": _("You cannot change your own roles.")})
    if actor is not None and not unit_in_scope(actor, "role.assign", assignment.unit):
        raise PermissionDenied
    before = {
        "role": assignment.role,
        "unit": assignment.unit.code,
        "include_subtree": assignment.include_subtree,
    }
    user = assignment.user
    assignment.delete()
    forget_grants(user)
    audit_record(actor=actor, action="role.revoke", obj=user, before=before)


# --- API keys -------------------------------------------------------------------------------

API_KEY_PREFIX = "ax_"


def api_key_digest(raw: str) -> str:
    return crypto.sm3_hex("anxin-api-key:" + raw)


@transaction.atomic
def api_key_create(*, actor: User | None, user: User, name: str) -> tuple[ApiKey, str]:
    """Create a key acting as ``user``; the raw key is returned once and never stored."""
    if actor is not None and actor.pk != user.pk:
        _require_manage(actor, user)
    if not name.strip():
        raise ValidationError({"name": _("Give the key a name that says what uses it.")})
    if RoleAssignment.objects.filter(user=user, role__in=sorted(ADMIN_ROLES)).exists():
        raise ValidationError(
            {
                "user": _(
                    "API keys cannot act as one of the three administrators: a key has no second "
                    "factor. Create a separate account for the integration."
                )
            }
        )
    if not user.is_active:
        raise ValidationError({"user": _("This account is disabled.")})
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=user, name=name.strip(), prefix=raw[:10], digest=api_key_digest(raw)
    )
    audit_record(actor=actor, action="apikey.create", obj=user, after={"key": str(key)})
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor: User | None, key: ApiKey) -> ApiKey:
    if actor is not None and actor.pk != key.user_id:
        _require_manage(actor, key.user)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="apikey.revoke", obj=key.user, after={"key": str(key)})
    return key


# --- Personal-data keys ---------------------------------------------------------------------


def personal_data_reencrypt(*, actor: User | None, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted field whose ciphertext names an old key.

    Runs in batches, each in its own transaction, so a large table does not hold one long
    transaction; safe to interrupt and run again.
    """
    _require(actor, "user.manage")
    current = crypto.current_key_id()
    counts: dict[str, int] = {}
    for model, names in encrypted_fields():
        label = model._meta.label
        counts[label] = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model._base_manager.filter(pk__gt=last_pk)  # type: ignore[misc]
                    .order_by("pk")
                    .only("pk", *names)
                    .annotate(**{f"_raw_{n}": Cast(n, output_field=TextField()) for n in names})[
                        :batch
                    ]
                )
                if not rows:
                    break
                last_pk = rows[-1].pk
                stale = [
                    row
                    for row in rows
                    if any(
                        (raw := getattr(row, f"_raw_{n}")) and crypto.key_id_of(raw) != current
                        for n in names
                    )
                ]
                if stale:
                    model._base_manager.bulk_update(stale, names)  # type: ignore[misc]
                    counts[label] += len(stale)
    from anxin.core.attachments import attachments_reencrypt

    counts["core.Attachment (files)"] = attachments_reencrypt()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="crypto.reencrypt",
            object_type="personal_data",
            after={"key_id": current, "reencrypted": counts},
        )
    return counts


# --- Second factor (TOTP) -------------------------------------------------------------------


def otp_enrol_start(*, actor: User) -> Any:
    """The person's unconfirmed TOTP device, created on first use."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="TOTP", confirmed=False)
    return device


@transaction.atomic
def otp_enrol_confirm(*, actor: User, device: Any, token: str) -> bool:
    """Confirm enrolment with one valid code; returns False for a wrong code."""
    if device.user_id != actor.pk:
        raise PermissionDenied
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=actor, action="otp.device_confirm", obj=actor)
    return True


@transaction.atomic
def otp_reset(*, actor: User | None, user: User) -> int:
    """Remove a person's TOTP devices (lost phone); they enrol again at next sign-in."""
    _require_manage(actor, user)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, action="otp.reset", obj=user, after={"removed": removed})
    return removed


@transaction.atomic
def auth_event_record(*, actor: User | None, action: str, username: str = "") -> None:
    """Record a sign-in related security event (login, logout, failures)."""
    if actor is not None:
        audit_record(actor=actor, action=action, obj=actor)
    else:
        audit_record(
            actor=None,
            action=action,
            object_type="core.user",
            object_repr=username[:150],
            after={"username": username[:150]},
        )


def audit_export_record(*, actor: User, filters: dict[str, Any]) -> None:
    """Exporting the audit trail is itself audited (who took which records)."""
    _require(actor, "audit.view")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="audit.export",
            object_type="core.auditevent",
            after={"filters": filters},
        )


def expired_sessions_purge() -> int:
    """Delete the sessions past their expiry (剩余信息保护, GB/T 22239-2019 8.1.4.10): a
    signed-out or idle session leaves nothing behind in the database. Returns how many."""
    from django.contrib.sessions.models import Session

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
