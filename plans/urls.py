from django.urls import path

from measures.views import measure_detail
from plans import views

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:municipality>/", views.municipality_detail, name="municipality"),
    path("<slug:municipality>/<slug:plan>/", views.plan_detail, name="plan"),
    path("<slug:municipality>/<slug:plan>/plan.json", views.plan_json, name="plan-json"),
    path("<slug:municipality>/<slug:plan>/summary/<int:fy>/", views.plan_summary_page, name="plan-summary"),
    path("<slug:municipality>/<slug:plan>/measures/<str:key>/", measure_detail, name="measure"),
]
