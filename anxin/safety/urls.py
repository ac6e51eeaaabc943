"""Staff pages of the safety app. Each part appends its paths here."""

from django.urls import path

from anxin.safety import views

urlpatterns: list = [
    # Sites (一企一档), sectors and checklists
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<str:id>/", views.site_detail, name="site_detail"),
    path("sites/<str:id>/edit/", views.site_edit, name="site_edit"),
    path("sites/<str:id>/permits/new/", views.permit_create, name="permit_create"),
    path("sites/<str:id>/permits/<int:pk>/", views.permit_edit, name="permit_edit"),
    path("sectors/", views.sector_list, name="sector_list"),
    path("sectors/<slug:code>/", views.sector_edit, name="sector_edit"),
    path("checklists/", views.checklist_list, name="checklist_list"),
    path("checklists/<int:pk>/", views.checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/new-version/", views.checklist_publish, name="checklist_publish"),
]

# Accidents (生产安全事故, 493号令)
from anxin.safety import views_accidents  # noqa: E402

urlpatterns += [
    path("accidents/", views_accidents.accident_list, name="accident_list"),
    path("accidents/new/", views_accidents.accident_create, name="accident_create"),
    path("accidents/<str:id>/", views_accidents.accident_detail, name="accident_detail"),
    path(
        "accidents/<str:id>/act/<slug:action>/",
        views_accidents.accident_action,
        name="accident_action",
    ),
]

# Inspections (安全检查), plans (专项行动) and hazards (事故隐患)
from anxin.safety import views_hazards, views_inspections  # noqa: E402

urlpatterns += [
    path("inspections/", views_inspections.inspection_list, name="inspection_list"),
    path("inspections/new/", views_inspections.inspection_create, name="inspection_create"),
    path("inspections/plans/", views_inspections.plan_list, name="inspection_plan_list"),
    path("inspections/plans/new/", views_inspections.plan_create, name="inspection_plan_create"),
    path(
        "inspections/plans/<str:id>/", views_inspections.plan_detail, name="inspection_plan_detail"
    ),
    path(
        "inspections/plans/<str:id>/edit/",
        views_inspections.plan_edit,
        name="inspection_plan_edit",
    ),
    path("inspections/<str:id>/", views_inspections.inspection_detail, name="inspection_detail"),
    path("inspections/<str:id>/fill/", views_inspections.inspection_fill, name="inspection_fill"),
    path(
        "inspections/<str:id>/record.docx",
        views_inspections.inspection_record_docx,
        name="inspection_record_docx",
    ),
    path("inspections/<str:id>/sign/", views_inspections.inspection_sign, name="inspection_sign"),
    path(
        "inspections/<str:id>/refusal/",
        views_inspections.inspection_refusal,
        name="inspection_refusal",
    ),
    path(
        "inspections/<str:id>/penalty/",
        views_inspections.inspection_penalty,
        name="inspection_penalty",
    ),
    path(
        "inspections/<str:id>/hazards/",
        views_inspections.inspection_hazards,
        name="inspection_hazards",
    ),
    path(
        "inspections/<str:id>/files/<str:file>/",
        views_inspections.inspection_file,
        name="inspection_file",
    ),
    path("hazards/", views_hazards.hazard_list, name="hazard_list"),
    path("hazards/new/", views_hazards.hazard_create, name="hazard_create"),
    path("hazards/<str:id>/", views_hazards.hazard_detail, name="hazard_detail"),
    path("hazards/<str:id>/evidence/", views_hazards.hazard_evidence, name="hazard_evidence"),
    path("hazards/<str:id>/act/<slug:action>/", views_hazards.hazard_action, name="hazard_action"),
    path("hazards/<str:id>/files/<str:file>/", views_hazards.hazard_file, name="hazard_file"),
    path(
        "hazards/<str:id>/register-new-site/",
        views_hazards.hazard_register_new_site,
        name="hazard_register_new_site",
    ),
    path("hazards/<str:id>/reporter/", views_hazards.hazard_reporter, name="hazard_reporter"),
]

# Ledger import (台账导入) and the hazard ledger export
from anxin.safety import views_ledgers  # noqa: E402

urlpatterns += [
    path("import/", views_ledgers.ledger_import, name="ledger_import"),
    path("import/confirm/", views_ledgers.ledger_confirm, name="ledger_confirm"),
    path("ledgers/hazards.xlsx", views_ledgers.hazard_ledger_export, name="hazard_ledger_export"),
]

# Enforcement orders (执法文书)
from anxin.safety import views_enforcement  # noqa: E402

urlpatterns += [
    path("enforcement/", views_enforcement.enforcement_list, name="enforcement_list"),
    path("enforcement/new/", views_enforcement.enforcement_create, name="enforcement_create"),
    path("enforcement/<str:id>/", views_enforcement.enforcement_detail, name="enforcement_detail"),
    path(
        "enforcement/<str:id>/document.docx",
        views_enforcement.enforcement_document,
        name="enforcement_document",
    ),
    path(
        "enforcement/<str:id>/execute/",
        views_enforcement.enforcement_execute,
        name="enforcement_execute",
    ),
    path(
        "enforcement/<str:id>/reinspect/",
        views_enforcement.enforcement_reinspect,
        name="enforcement_reinspect",
    ),
]

# Periodic hazard statistics (16号令 Art. 14)
from anxin.safety import views_statistics  # noqa: E402

urlpatterns += [
    path("statistics/", views_statistics.hazard_statistics, name="hazard_statistics"),
    path(
        "statistics/hazards.xlsx",
        views_statistics.hazard_statistics_xlsx,
        name="hazard_statistics_xlsx",
    ),
    path(
        "hazards/<str:id>/inspection-task/",
        views_hazards.hazard_inspection_task,
        name="hazard_inspection_task",
    ),
]
