"""Fixed vocabularies of the core app. Admin-editable taxonomies are models, not choices."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District or county")
    TOWNSHIP = "township", _("Township or street")
    VILLAGE = "village", _("Village or community")
    DEPARTMENT = "department", _("Department")


#: kinds that are administrative divisions and so carry a statistical division code
DIVISION_KINDS = {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.TOWNSHIP, UnitKind.VILLAGE}

#: the kind a division's children may have (departments may hang under a city or district)
CHILD_KINDS = {
    None: {UnitKind.CITY},
    UnitKind.CITY: {UnitKind.DISTRICT, UnitKind.DEPARTMENT},
    UnitKind.DISTRICT: {UnitKind.TOWNSHIP, UnitKind.DEPARTMENT},
    UnitKind.TOWNSHIP: {UnitKind.VILLAGE},
    UnitKind.VILLAGE: set(),
    UnitKind.DEPARTMENT: {UnitKind.DEPARTMENT},
}


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", _("System administrator")
    SECADMIN = "secadmin", _("Security administrator")
    AUDITOR = "auditor", _("Security auditor")
    CLERK = "clerk", _("Registration clerk")
    HANDLER = "handler", _("Case handler")
    UNIT_HEAD = "unit_head", _("Unit head")
    SUPERVISOR = "supervisor", _("Supervisor")
    INSPECTOR = "inspector", _("Safety inspector")
    ENTERPRISE = "enterprise", _("Enterprise contact")
    VIEWER = "viewer", _("Read-only")


#: 三员分立 (GB/T 22239-2019 8.1.4.2 / 8.1.10.x): nobody may hold two of these roles.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})

#: every role but the enterprise contact is municipal staff
STAFF_ROLES = frozenset(set(Role) - {Role.ENTERPRISE})
