from django.urls import path

from anxin.reports import views_indicators, views_rankings

urlpatterns = [
    path("indicators/", views_indicators.indicator_list, name="indicator_list"),
    path("indicators/<slug:key>/", views_indicators.indicator_items, name="indicator_items"),
    path("rankings/", views_rankings.ranking_list, name="ranking_list"),
    path("rankings/export.xlsx", views_rankings.ranking_xlsx, name="ranking_xlsx"),
    path("rankings/notice.docx", views_rankings.ranking_docx, name="ranking_docx"),
    path("rankings/weights/", views_rankings.ranking_weights, name="ranking_weights"),
]
