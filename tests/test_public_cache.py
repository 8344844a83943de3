"""The public page cache at national scale: a write for one municipality leaves the others cached."""

from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import workflow
from kpis.entry import ActualEntry, save_entries
from kpis.interchange.importer import import_plan
from measures.models import Measure
from plans.generations import bump_generation
from plans.models import Plan
from tests.conftest import FIXTURES, load_fixture
from tests.personas import kpi

AKITA_PLAN = "/akita/digital-plan-2-0/"
AKITA_TITLE = "秋田市デジタル化推進計画"
FY = 2025  # the open year of the roles plan


@pytest.fixture
def akita(db):
    return load_fixture(FIXTURES / "052019-akita-digital-plan-2-0.json")


def retitle_without_bump(plan, title):
    """A change the cache is not told about: it shows only on pages that are rendered again."""
    Plan.objects.filter(pk=plan.pk).update(title=title)


def queries_for(client, target):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target)
    assert response.status_code == 200, target
    return response, len(queries)


def warm(client, *targets):
    for target in targets:
        assert client.get(target).status_code == 200, target


@pytest.mark.django_db
def test_a_bump_for_noshiro_leaves_akita_cached_and_renders_noshiro_and_the_home_page_again(
    client, akita, mini_plan, django_assert_num_queries
):
    noshiro_page = f"/noshiro/{mini_plan.slug}/"
    warm(client, "/pref/05/", noshiro_page, AKITA_PLAN, f"/en{AKITA_PLAN}")
    retitle_without_bump(mini_plan, "能代市の新しい題名")
    retitle_without_bump(akita, "秋田市の新しい題名")

    bump_generation(mini_plan.municipality)

    with django_assert_num_queries(0):
        akita_page = client.get(AKITA_PLAN)
        english = client.get(f"/en{AKITA_PLAN}")
    assert AKITA_TITLE in akita_page.content.decode() and "秋田市の新しい題名" not in akita_page.content.decode()
    assert english.status_code == 200
    assert "能代市の新しい題名" in client.get(noshiro_page).content.decode()
    # The prefecture page lists both plans (the home page only recently published years): rendered again.
    index = client.get("/pref/05/").content.decode()
    assert "能代市の新しい題名" in index and "秋田市の新しい題名" in index


@pytest.mark.django_db
def test_a_bump_by_municipality_id_works_like_a_bump_by_municipality(client, akita, mini_plan):
    warm(client, AKITA_PLAN, f"/noshiro/{mini_plan.slug}/")
    retitle_without_bump(mini_plan, "能代市の新しい題名")
    bump_generation(mini_plan.municipality_id)
    assert "能代市の新しい題名" in client.get(f"/noshiro/{mini_plan.slug}/").content.decode()
    assert queries_for(client, AKITA_PLAN)[1] == 0


@pytest.mark.django_db
def test_a_bump_without_municipality_renders_every_page_again(client, akita, mini_plan):
    warm(client, "/pref/05/", AKITA_PLAN, f"/noshiro/{mini_plan.slug}/")
    retitle_without_bump(akita, "秋田市の新しい題名")
    bump_generation()
    assert "秋田市の新しい題名" in client.get(AKITA_PLAN).content.decode()
    assert "秋田市の新しい題名" in client.get("/pref/05/").content.decode()


@pytest.mark.django_db
def test_etag_and_304_after_a_bump_of_another_municipality(client, akita, mini_plan):
    first = client.get(AKITA_PLAN)
    bump_generation(mini_plan.municipality)
    again = client.get(AKITA_PLAN, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    noshiro = client.get(f"/noshiro/{mini_plan.slug}/")
    retitle_without_bump(mini_plan, "能代市の新しい題名")
    bump_generation(mini_plan.municipality)
    changed = client.get(f"/noshiro/{mini_plan.slug}/", headers={"if-none-match": noshiro["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != noshiro["ETag"]


@pytest.mark.django_db
def test_an_import_renders_its_municipality_and_the_home_page_again_not_the_others(
    client, akita, mini_document, django_assert_num_queries, django_capture_on_commit_callbacks
):
    plan = import_plan(mini_document).plan
    warm(client, "/", f"/noshiro/{plan.slug}/", AKITA_PLAN)
    retitle_without_bump(akita, "秋田市の新しい題名")
    mini_document["plan"]["title"] = "改訂されたテスト計画"
    with django_capture_on_commit_callbacks(execute=True):
        import_plan(mini_document)
    assert "改訂されたテスト計画" in client.get(f"/noshiro/{plan.slug}/").content.decode()
    assert "改訂されたテスト計画" in client.get("/").content.decode()
    with django_assert_num_queries(0):
        assert AKITA_TITLE in client.get(AKITA_PLAN).content.decode()


@pytest.mark.django_db
def test_publishing_a_year_shows_its_actuals_and_leaves_other_municipalities_cached(
    client, akita, roles_plan, staff_b, hq_x, django_capture_on_commit_callbacks, django_assert_num_queries
):
    save_entries(
        staff_b,
        roles_plan,
        FY,
        [ActualEntry(indicator_id=kpi(roles_plan, "要望書の提出件数").pk, fiscal_year=FY, actual_text="7")],
    )
    measure = Measure.objects.get(plan=roles_plan, key="2-(1)-①")
    page = reverse("measure", kwargs={"municipality": "noshiro", "plan": roles_plan.slug, "key": measure.key})
    warm(client, page, AKITA_PLAN)
    assert "<td>7件</td>" not in client.get(page).content.decode()  # the year is open: its actual is not public

    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_year(hq_x, roles_plan, FY)

    assert "<td>7件</td>" in client.get(page).content.decode()
    with django_assert_num_queries(0):
        assert client.get(AKITA_PLAN).status_code == 200


@pytest.mark.django_db
def test_an_admin_edit_of_a_noshiro_measure_leaves_akita_cached(
    client, akita, mini_plan, django_assert_num_queries, django_capture_on_commit_callbacks
):
    warm(client, AKITA_PLAN, f"/noshiro/{mini_plan.slug}/")
    staff = Client()
    staff.force_login(User.objects.create(username="hq", is_staff=True, is_superuser=True))
    measure = Measure.objects.filter(plan=mini_plan).order_by("pk").first()
    retitle_without_bump(mini_plan, "能代市の新しい題名")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("admin:measures_measure_delete", args=[measure.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert "能代市の新しい題名" in client.get(f"/noshiro/{mini_plan.slug}/").content.decode()
    with django_assert_num_queries(0):
        assert client.get(AKITA_PLAN).status_code == 200


@pytest.mark.django_db
def test_a_cache_hit_is_one_round_trip(client, akita):
    warm(client, AKITA_PLAN)
    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
        mock.patch.object(cache, "get", wraps=cache.get) as get,
    ):
        assert client.get(AKITA_PLAN).status_code == 200
    # One MGET of the generations and the page; a cache without get_many of its own (the tests'
    # local memory) answers it key by key, Redis in one command.
    assert get_many.call_count == 1
    assert get.call_count == len(get_many.call_args.args[0]) == 3


@pytest.mark.django_db
def test_each_host_gets_its_own_cached_page_and_a_foreign_host_gets_400(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.jp", "dx.example.lg.jp"]
    for _ in range(2):  # the second round is served from the cache
        for host in settings.ALLOWED_HOSTS:
            body = client.get("/robots.txt", HTTP_HOST=host).content.decode()
            assert body.endswith(f"Sitemap: http://{host}/sitemap.xml\n")
    assert client.get("/robots.txt", HTTP_HOST="evil.example.com").status_code == 400


@pytest.mark.django_db
def test_a_cache_hit_carries_the_security_headers_of_the_page_it_stored(client, akita):
    first = client.get(AKITA_PLAN)
    with CaptureQueriesContext(connection) as queries:
        hit = client.get(AKITA_PLAN)
    assert len(queries) == 0  # served from the cache, above the CSP middleware
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "ETag"):
        assert hit[header] == first[header], header
    assert "script-src 'self'" in hit["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/", ""),
        ("/en/", ""),
        ("/compare/", ""),
        ("/compare/digital/", ""),
        ("/sitemap.xml", ""),
        ("/sitemap-portal.xml", ""),
        ("/robots.txt", ""),
        ("/noshiro/sitemap.xml", "noshiro"),  # kept until Noshiro publishes something
        ("/pref/05/", ""),  # a prefecture page lists several municipalities
        ("/noshiro/", "noshiro"),
        ("/noshiro/dx-plan-2023/plan.csv", "noshiro"),
        ("/en/noshiro/dx-plan-2023/", "noshiro"),
    ],
)
def test_pages_belong_to_their_municipality_or_to_the_index(rf, path, scope):
    from dxportal.public.middleware import scope_of

    assert scope_of(rf.get(path)) == scope


@pytest.mark.django_db
def test_an_import_that_renames_a_municipality_url_no_longer_serves_the_old_url(
    client, akita, mini_document, django_capture_on_commit_callbacks
):
    plan = import_plan(mini_document).plan
    warm(client, f"/noshiro/{plan.slug}/", AKITA_PLAN)
    mini_document["municipality"]["slug"] = "noshiro-city"
    with django_capture_on_commit_callbacks(execute=True):
        import_plan(mini_document, rename_municipality=True)
    assert client.get(f"/noshiro/{plan.slug}/").status_code == 404
    assert client.get(f"/noshiro-city/{plan.slug}/").status_code == 200


@pytest.mark.django_db
def test_a_staff_save_into_an_open_year_leaves_the_municipalitys_pages_cached_and_one_after_publishing_not(
    client, roles_plan, staff_b, hq_x, django_capture_on_commit_callbacks, django_assert_num_queries
):
    page = f"/noshiro/{roles_plan.slug}/"
    key = kpi(roles_plan, "要望書の提出件数").pk
    warm(client, page)
    with django_capture_on_commit_callbacks(execute=True):
        save_entries(staff_b, roles_plan, FY, [ActualEntry(indicator_id=key, fiscal_year=FY, actual_text="7")])
    with django_assert_num_queries(0):  # nothing public changed: the open year's actual is hidden
        assert client.get(page).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_year(hq_x, roles_plan, FY)
    warm(client, page)
    with django_capture_on_commit_callbacks(execute=True):  # HQ corrects a published year: public
        save_entries(hq_x, roles_plan, FY, [ActualEntry(indicator_id=key, fiscal_year=FY, actual_text="8")])
    _, count = queries_for(client, page)
    assert count > 0


@pytest.mark.django_db
def test_a_made_up_query_parameter_is_served_the_cached_page_without_rendering_it_again(client, akita):
    page, _ = queries_for(client, AKITA_PLAN)
    for target in (
        f"{AKITA_PLAN}?utm_source=line",
        f"{AKITA_PLAN}?x=1&utm_campaign=%E5%BA%83%E5%A0%B1",
        f"{AKITA_PLAN}?",
    ):
        response, count = queries_for(client, target)
        assert count == 0, target  # the page stored for the bare address, not a new render
        assert response.content == page.content, target
    # A parameter the plan page reads still gets its own page, with the unread one dropped from it.
    filtered, count = queries_for(client, f"{AKITA_PLAN}?utm_source=line&q=%E7%94%B3%E8%AB%8B")
    assert count > 0
    assert (
        'name="next" type="hidden" value="/akita/digital-plan-2-0/?q=%E7%94%B3%E8%AB%8B"' in filtered.content.decode()
    )
    assert queries_for(client, f"{AKITA_PLAN}?q=%E7%94%B3%E8%AB%8B")[1] == 0


def test_the_public_views_read_no_query_parameter_the_cache_would_drop():
    """Every name a public module reads from request.GET or the filter's params is one the cache keeps."""
    import re
    from pathlib import Path

    from dxportal.public.middleware import PAGE_QUERY_PARAMETERS

    read = set()
    for module in (Path(__file__).resolve().parent.parent / "dxportal" / "public").glob("*.py"):
        read |= set(re.findall(r"(?:GET|params)(?:\.get\(|\[)\"(\w+)\"", module.read_text(encoding="utf-8")))
    assert {"q", "pref", "category", "fy"} <= read  # the pattern finds what the views read
    assert read <= PAGE_QUERY_PARAMETERS, read - PAGE_QUERY_PARAMETERS
