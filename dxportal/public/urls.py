from django.urls import path

from dxportal.public import home, views
from dxportal.public.compare import compare_area, compare_index
from dxportal.public.departments import department_page
from dxportal.public.measure import measure_detail
from dxportal.public.roadmap import roadmap_page

urlpatterns = [
    path("", home.home, name="home"),
    # Before <slug:municipality>/, which would otherwise capture them.
    path("pref/<slug:code>/", home.prefecture, name="prefecture"),
    path("search/", home.search, name="search"),
    path("compare/", compare_index, name="compare-index"),
    path("compare/<slug:area>/", compare_area, name="compare"),
    path("<slug:municipality>/", views.municipality_detail, name="municipality"),
    path("<slug:municipality>/departments/<int:pk>/", department_page, name="department"),
    path("<slug:municipality>/<slug:plan>/", views.plan_detail, name="plan"),
    path("<slug:municipality>/<slug:plan>/plan.json", views.plan_json, name="plan-json"),
    path("<slug:municipality>/<slug:plan>/plan.csv", views.plan_csv, name="plan-csv"),
    path("<slug:municipality>/<slug:plan>/summary.csv", views.summary_csv, name="plan-summary-csv"),
    path("<slug:municipality>/<slug:plan>/roadmap/", roadmap_page, name="plan-roadmap"),
    path("<slug:municipality>/<slug:plan>/summary/<int:fy>/", views.plan_summary_page, name="plan-summary"),
    path("<slug:municipality>/<slug:plan>/measures/<str:key>/", measure_detail, name="measure"),
]
