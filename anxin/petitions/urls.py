from django.urls import path

from anxin.petitions import views, views_documents, views_reception

urlpatterns = [
    path("", views.petition_list, name="petition_list"),
    path("count/", views.petition_list_count, name="petition_list_count"),
    path("new/", views.petition_create, name="petition_create"),
    path("export.xlsx", views.petition_export, name="petition_export"),
    path("backlog/", views.backlog, name="petition_backlog"),
    path("<str:id>/", views.petition_detail, name="petition_detail"),
    path("<str:id>/act/<slug:action>/", views.petition_action, name="petition_action"),
    path("<str:id>/reveal/", views.petition_reveal, name="petition_reveal"),
    path("<str:id>/plan/<slug:op>/", views.petition_plan, name="petition_plan"),
    path("<str:id>/attach/", views.petition_attach, name="petition_attach"),
    path("<str:id>/hazard/", views.petition_hazard, name="petition_hazard"),
    path("<str:id>/compare/<str:other>/", views.petition_compare, name="petition_compare"),
    path("<str:id>/files/<str:file>/", views.petition_attachment, name="petition_attachment"),
    # Public reception days (item 12). The list is "reception/sessions/": "reception/" alone
    # would be taken by the "<str:id>/" case page above.
    path(
        "reception/sessions/",
        views_reception.reception_session_list,
        name="reception_session_list",
    ),
    path(
        "reception/sessions/new/",
        views_reception.reception_session_create,
        name="reception_session_create",
    ),
    path(
        "reception/sessions/<int:pk>/",
        views_reception.reception_session_detail,
        name="reception_session_detail",
    ),
    path(
        "reception/sessions/<int:pk>/publish/",
        views_reception.reception_session_publish,
        name="reception_session_publish",
    ),
    path(
        "reception/sessions/<int:pk>/cancel/",
        views_reception.reception_session_cancel,
        name="reception_session_cancel",
    ),
    path(
        "reception/bookings/<int:pk>/visit/",
        views_reception.reception_visit_record,
        name="reception_visit_record",
    ),
    path(
        "<str:id>/documents/<slug:kind>.docx",
        views_documents.petition_document_view,
        name="petition_document",
    ),
]
