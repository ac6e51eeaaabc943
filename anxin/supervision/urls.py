from django.urls import path

from anxin.supervision import views, views_notices

urlpatterns = [
    path("", views.board, name="supervision_board"),
    path("clocks/<int:pk>/", views.clock_go, name="supervision_clock_go"),
    path("inbox/", views.inbox, name="supervision_inbox"),
    path("inbox/read-all/", views.inbox_read_all, name="supervision_inbox_read_all"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="supervision_inbox_read"),
    path("preferences/", views.preferences, name="supervision_preferences"),
    path("notices/", views_notices.notice_list, name="notice_list"),
    path("notices/new/", views_notices.notice_create, name="notice_create"),
    path("notices/<str:id>/", views_notices.notice_detail, name="notice_detail"),
    path("notices/<str:id>/reply/", views_notices.notice_reply, name="notice_reply"),
    path("notices/<str:id>/accept/", views_notices.notice_accept, name="notice_accept"),
    path("notices/<str:id>/send-back/", views_notices.notice_send_back, name="notice_send_back"),
    path("notices/<str:id>/document/", views_notices.notice_document, name="notice_document"),
    path(
        "notices/<str:id>/files/<str:file>/",
        views_notices.notice_attachment,
        name="notice_attachment",
    ),
]
