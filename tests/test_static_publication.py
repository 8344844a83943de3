"""Static publication: the public pages written as files (dxportal.public.static_site, publish_static).

After every write path and a drain of the queue, the files are what the views render; a reader
during a rebuild gets whole pages; a draft never reaches the directory; --check finds stale files;
and the nginx block of docs/deploy.md sends Django's headers. One small municipality (the mini plan).
"""

import io
import socket
import threading
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from bench import nginx
from dxportal.public import static_site
from kpis import workflow
from kpis.entry import ActualEntry, save_entries
from kpis.interchange.importer import import_plan
from kpis.models import IndicatorValue
from measures.models import Measure, PriorityArea
from plans.models import Department, Municipality, Plan, PublicationRequest
from plans.publication import pending_requests, remove_requests, request_publication
from tests.personas import kpi
from tests.test_permissions import form_data

pytestmark = pytest.mark.django_db

KEY = "2-(1)-①"  # 要望活動 of the roles plan, owned by 企画部; its KPI 要望書の提出件数
KPI = "要望書の提出件数"
OPEN_FY, PUBLISHED_FY = 2025, 2024


@pytest.fixture
def site(settings, tmp_path) -> Path:
    settings.STATIC_PUBLISH_ROOT = str(tmp_path / "public")
    settings.STATIC_PUBLISH_URL = "http://testserver"
    return tmp_path / "public"


def publish_all(root: Path) -> static_site.Outcome:
    return static_site.publish_all(root, static_site.Renderer())


def drain(root: Path) -> static_site.Outcome | None:
    return static_site.drain(root, static_site.Renderer())


def queued() -> list[str]:
    return sorted(Municipality.objects.filter(pk__in=pending_requests()).values_list("slug", flat=True))


def files(root: Path) -> set[PurePosixPath]:
    """The pages in the directory (not the lock file)."""
    return {PurePosixPath(p.relative_to(root).as_posix()) for p in root.rglob("*") if p.is_file()} - {
        PurePosixPath(static_site.LOCK_NAME)
    }


def url_of(relative: PurePosixPath) -> str:
    path = "/" + str(relative)
    return quote(path.removesuffix("index.html"))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def of_a_municipality(relative: PurePosixPath, slugs: set[str]) -> bool:
    parts = relative.parts[1:] if relative.parts[0] == "en" else relative.parts
    return len(parts) > 1 and parts[0] in slugs


def assert_files_are_the_views(root: Path, everything: bool = False) -> None:
    """Each file of the municipalities (with everything: each file) is byte for byte what an anonymous
    visitor gets from Django at its URL, and the directory holds exactly the public pages of every
    municipality and the index pages. (The index pages are compared once, by the first test: 28 of
    the mini plan's 60 files are compare pages.)"""
    visitor = Client()
    slugs = set(Municipality.objects.values_list("slug", flat=True))
    for relative in files(root):
        if not (everything or of_a_municipality(relative, slugs) or relative == PurePosixPath("index.html")):
            continue
        response = visitor.get(url_of(relative))
        assert response.status_code == 200, relative
        assert (root / relative).read_bytes() == body(response), relative
    expected = {static_site.file_for(path) for path in static_site.index_paths()}
    for municipality in Municipality.objects.all():
        expected |= {static_site.file_for(path) for path in static_site.municipality_paths(municipality)}
    assert files(root) == expected


def measure_file(root: Path, plan, key=KEY, language="") -> Path:
    return root / language / plan.municipality.slug / plan.slug / "measures" / key / "index.html"


# What is written


def test_a_full_publish_writes_each_public_page_in_both_languages_as_the_views_render_it(site, mini_plan):
    outcome = publish_all(site)

    departments = [
        f"departments/{pk}/index.html" for pk in Department.objects.order_by("pk").values_list("pk", flat=True)
    ]
    municipality = [
        "index.html",
        *departments,
        "mini/index.html",
        "mini/measures/1-(1)-①/index.html",
        "mini/measures/2-(1)-①/index.html",
        "mini/plan.csv",
        "mini/plan.json",
        "mini/roadmap/index.html",
        "mini/summary.csv",
        "mini/summary/2023/index.html",
        "mini/summary/2024/index.html",
        "mini/summary/2025/index.html",
    ]
    areas = sorted(PriorityArea.objects.values_list("slug", flat=True))
    index = ["index.html", "pref/05/index.html", "compare/index.html", *(f"compare/{a}/index.html" for a in areas)]
    expected = {
        *(f"noshiro/{name}" for name in municipality),
        *(f"en/noshiro/{name}" for name in municipality),
        "noshiro/sitemap.xml",
        *index,
        *(f"en/{name}" for name in index),
        "sitemap.xml",
        "sitemap-portal.xml",
        "robots.txt",
    }
    assert {str(f) for f in files(site)} == expected
    assert sorted(str(f) for f in outcome.written) == sorted(expected)
    assert_files_are_the_views(site, everything=True)
    assert "Sitemap: http://testserver/sitemap.xml" in (site / "robots.txt").read_text()


def test_a_second_publish_rewrites_nothing_so_the_files_keep_their_time(site, mini_plan):
    publish_all(site)
    times = {f: (site / f).stat().st_mtime_ns for f in files(site)}
    outcome = publish_all(site)
    assert (outcome.written, outcome.removed, outcome.unchanged) == ([], [], len(times))
    assert {f: (site / f).stat().st_mtime_ns for f in files(site)} == times


def test_a_draft_never_reaches_the_directory_and_a_plan_set_back_to_draft_leaves_it(site, mini_document):
    draft = {**mini_document, "plan": {**mini_document["plan"], "slug": "draft-plan", "title": "下書きの計画"}}
    draft["plan"]["status"] = "draft"
    import_plan(mini_document)
    import_plan(draft)
    publish_all(site)
    assert not [f for f in files(site) if "draft-plan" in str(f)]
    assert not [f for f in files(site) if "下書きの計画".encode() in (site / f).read_bytes()]
    assert (site / "noshiro" / "mini" / "index.html").exists()

    mini_document["plan"]["status"] = "draft"
    import_plan(mini_document)
    assert queued() == ["noshiro"]
    drain(site)
    # No published plan left: no municipality, no prefecture page; the home page says so.
    assert not [f for f in files(site) if f.parts[0] in ("noshiro", "pref") or f.parts[:2] in (("en", "noshiro"),)]
    assert not (site / "noshiro").exists()
    assert queued() == []
    assert_files_are_the_views(site)


# After each write path: queued in the write's transaction, files rewritten by a drain


def test_publish_year_then_a_drain_shows_the_years_actuals_in_the_files(
    site, roles_plan, staff_b, hq_x, django_capture_on_commit_callbacks
):
    save_entries(
        staff_b,
        roles_plan,
        OPEN_FY,
        [ActualEntry(indicator_id=kpi(roles_plan, KPI).pk, fiscal_year=OPEN_FY, actual_text="7")],
    )
    publish_all(site)
    # Entered as a bare 7, shown with the unit the plan prints (２件): 7件.
    assert "<td>7件</td>" not in measure_file(site, roles_plan).read_text()  # the open year is not public
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_year(hq_x, roles_plan, OPEN_FY)
    assert queued() == ["noshiro"]
    outcome = drain(site)
    assert "<td>7件</td>" in measure_file(site, roles_plan).read_text()
    assert "<td>7件</td>" in measure_file(site, roles_plan, language="en").read_text()
    assert PurePosixPath(f"noshiro/{roles_plan.slug}/measures/{KEY}/index.html") in outcome.written
    assert queued() == []
    assert_files_are_the_views(site)


def test_lock_year_and_correct_locked_value_then_a_drain_show_the_correction_in_the_files(
    site, roles_plan, hq_x, django_capture_on_commit_callbacks
):
    publish_all(site)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.lock_year(hq_x, roles_plan, PUBLISHED_FY)
    assert queued() == ["noshiro"]
    drain(site)
    assert_files_are_the_views(site)

    value = IndicatorValue.objects.get(indicator=kpi(roles_plan, KPI), fiscal_year=PUBLISHED_FY)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.correct_locked_value(hq_x, value, "９件", "集計漏れ")
    assert queued() == ["noshiro"]
    drain(site)
    page = measure_file(site, roles_plan).read_text()
    assert "<td>9件</td>" in page  # entered ９件: half-width digits on public pages
    assert "<strong>訂正</strong>" in page
    assert_files_are_the_views(site)


def test_a_plan_import_then_a_drain_shows_the_new_title_on_its_pages_and_the_home_page(
    site, mini_plan, mini_document, django_capture_on_commit_callbacks
):
    publish_all(site)
    mini_document["plan"]["title"] = "改訂されたテスト計画"
    with django_capture_on_commit_callbacks(execute=True):
        import_plan(mini_document)
    assert queued() == ["noshiro"]
    drain(site)
    assert "<h1>改訂されたテスト計画</h1>" in (site / "noshiro" / "mini" / "index.html").read_text()
    assert "改訂されたテスト計画" in (site / "index.html").read_text()
    assert_files_are_the_views(site)


def test_an_admin_change_form_save_then_a_drain_shows_the_new_measure_name(
    site, roles_plan, hq_x, django_capture_on_commit_callbacks
):
    publish_all(site)
    staff = Client()
    staff.force_login(hq_x)
    measure = Measure.objects.get(plan=roles_plan, key=KEY)
    url = reverse("admin:measures_measure_change", args=[measure.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, {**form_data(staff.get(url)), "name": "国への要望活動"})
    assert response.status_code == 302
    assert queued() == ["noshiro"]
    drain(site)
    assert '<h1><span class="code">2-(1)-①</span> 国への要望活動</h1>' in measure_file(site, roles_plan).read_text()
    assert_files_are_the_views(site)


def test_an_entry_screen_save_into_a_published_year_then_a_drain_shows_the_new_actual(
    site, roles_plan, hq_x, django_capture_on_commit_callbacks
):
    publish_all(site)
    staff = Client()
    staff.force_login(hq_x)
    key = kpi(roles_plan, KPI).pk
    entry = f"{reverse('admin:kpis_entry')}?plan={roles_plan.pk}&fy={PUBLISHED_FY}"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(entry, {f"actual-{key}": "８件", f"note-{key}": "", f"url-{key}": ""})
    assert response.status_code == 302
    assert queued() == ["noshiro"]
    drain(site)
    assert "<td>8件</td>" in measure_file(site, roles_plan).read_text()
    assert_files_are_the_views(site)


def test_a_renamed_municipality_leaves_no_files_under_its_old_address(
    site, mini_plan, mini_document, django_capture_on_commit_callbacks
):
    publish_all(site)
    mini_document["municipality"]["slug"] = "noshiro-city"
    with django_capture_on_commit_callbacks(execute=True):
        import_plan(mini_document, rename_municipality=True)
    drain(site)
    assert not (site / "noshiro").exists() and not (site / "en" / "noshiro").exists()
    assert (site / "noshiro-city" / "mini" / "index.html").exists()
    assert_files_are_the_views(site)


# The queue


def test_nothing_is_queued_while_static_publication_is_off(settings, mini_plan, mini_document):
    settings.STATIC_PUBLISH_ROOT = ""
    import_plan(mini_document)
    assert PublicationRequest.objects.count() == 0


def test_many_writes_make_one_request_and_a_request_renewed_during_a_rebuild_stays(site, mini_plan, mini_document):
    import_plan(mini_document)
    import_plan(mini_document)
    assert PublicationRequest.objects.count() == 1
    read_by_the_worker = pending_requests()
    request_publication(municipality=mini_plan.municipality)  # a write while the files are rendered
    assert remove_requests(done=read_by_the_worker) == 0
    assert queued() == ["noshiro"]
    assert remove_requests(done=pending_requests()) == 1


def test_a_page_that_fails_to_render_keeps_its_municipalitys_old_files_and_request(site, mini_plan, monkeypatch):
    publish_all(site)
    before = {f: (site / f).read_bytes() for f in files(site) if f.parts[0] == "noshiro"}
    Plan.objects.filter(pk=mini_plan.pk).update(title="新しい題名")
    request_publication(municipality=mini_plan.municipality)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("dxportal.public.views.MeasureFilter", broken)  # the plan page's
    outcome = drain(site)
    assert outcome.failed == {"noshiro": "/noshiro/mini/: RuntimeError: the database went away"}
    assert {f: (site / f).read_bytes() for f in files(site) if f.parts[0] == "noshiro"} == before
    assert queued() == ["noshiro"]


def test_an_index_page_that_fails_to_render_keeps_the_index_files_and_every_request(site, mini_plan, monkeypatch):
    publish_all(site)
    home = (site / "index.html").read_bytes()
    request_publication(municipality=mini_plan.municipality)

    render = static_site.Renderer.render

    def home_fails(renderer, path):
        if path == "/":
            raise static_site.PublishError("/: RuntimeError: the database went away")
        return render(renderer, path)

    monkeypatch.setattr(static_site.Renderer, "render", home_fails)
    outcome = drain(site)
    assert outcome.failed == {static_site.INDEX_PAGES: "/: RuntimeError: the database went away"}
    assert (site / "index.html").read_bytes() == home
    assert queued() == ["noshiro"]


# Atomic writes


def test_a_reader_during_a_rebuild_only_ever_reads_whole_pages(site, mini_plan):
    publish_all(site)
    final = {f: (site / f).read_bytes() for f in files(site)}
    old = b"<!doctype html><p>the previous version of this page</p>\n" * 2000  # 112 kB: many write() calls
    for relative in final:
        (site / relative).write_bytes(old)
    reads: list[tuple[PurePosixPath, bytes]] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            for relative in final:
                reads.append((relative, (site / relative).read_bytes()))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        publish_all(site)
    finally:
        stop.set()
        thread.join()
    torn = [relative for relative, content in reads if content not in (old, final[relative])]
    assert torn == []
    assert {content == old for _, content in reads} == {True, False}  # it did read during the rebuild
    assert {f: (site / f).read_bytes() for f in files(site)} == final
    assert [p.name for p in site.rglob(f"*{static_site.TEMP_SUFFIX}")] == []


# publish_static


def test_check_lists_a_stale_a_missing_and_an_extra_file_and_fails(site, mini_plan):
    publish_all(site)
    (site / "noshiro" / "mini" / "roadmap" / "index.html").write_bytes(b"<p>an old roadmap</p>")
    (site / "en" / "noshiro" / "mini" / "plan.csv").unlink()
    (site / "noshiro" / "old-page.html").write_bytes(b"<p>gone</p>")
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("publish_static", "--check", "--processes", "1", stdout=out)
    assert str(error.value) == "the files differ from the pages Django renders now: 1 stale, 1 missing, 1 extra"
    assert out.getvalue().splitlines() == [
        "stale: noshiro/mini/roadmap/index.html",
        "missing: en/noshiro/mini/plan.csv",
        "extra: noshiro/old-page.html",
    ]


def test_check_finds_the_pages_of_a_change_nobody_queued(site, mini_plan):
    publish_all(site)
    call_command("publish_static", "--check", "--municipality", "noshiro", "--processes", "1", stdout=io.StringIO())
    Plan.objects.filter(pk=mini_plan.pk).update(title="誰も知らせなかった題名")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("publish_static", "--check", "--municipality", "noshiro", "--processes", "1", stdout=out)
    assert "stale: noshiro/mini/index.html" in out.getvalue().splitlines()
    assert "stale: en/noshiro/mini/index.html" in out.getvalue().splitlines()


def test_the_command_drains_the_queue_and_rewrites_only_what_changed(site, mini_plan):
    publish_all(site)
    roadmap = site / "noshiro" / "mini" / "roadmap" / "index.html"
    current = roadmap.read_bytes()
    roadmap.write_bytes(b"<p>an old roadmap</p>")
    request_publication(municipality=mini_plan.municipality)
    out = io.StringIO()
    call_command("publish_static", "--drain", "--processes", "1", stdout=out)
    assert out.getvalue().startswith(f"files written: 1, unchanged: {len(files(site)) - 1}, removed: 0 (")
    assert roadmap.read_bytes() == current
    assert queued() == []
    out = io.StringIO()
    call_command("publish_static", "--drain", stdout=out)
    assert out.getvalue() == "nothing queued\n"


def test_the_command_refuses_to_run_without_a_directory(settings):
    settings.STATIC_PUBLISH_ROOT = ""
    with pytest.raises(CommandError, match=r"^STATIC_PUBLISH_ROOT is not set: static publication is off"):
        call_command("publish_static", "--all")


# nginx (docs/deploy.md)


def csp(value: str) -> dict[str, set[str]]:
    # django-csp orders the directives by a set's order, which changes between processes
    return {d.split()[0]: set(d.split()[1:]) for d in value.split(";") if d.strip()}


def test_the_documented_nginx_headers_are_the_ones_django_sends(client, mini_plan, settings):
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = 31536000, True  # production's
    block = nginx.documented_block()
    documented = nginx.headers_added(block)
    response = client.get("/noshiro/mini/", secure=True)
    assert csp(documented.pop("Content-Security-Policy")) == csp(response["Content-Security-Policy"])
    assert documented == {name: response[name] for name in documented}
    assert set(documented) == {
        "Cache-Control",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "X-Frame-Options",
        "Strict-Transport-Security",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not nginx.available(), reason="nginx is not installed")
def test_nginx_with_the_documented_block_serves_each_kind_of_file_as_django_does(client, site, mini_plan):
    publish_all(site)
    compared = ["Content-Type", "Content-Language", "Vary", "X-Robots-Tag", "Cache-Control", "X-Frame-Options"]
    with nginx.serve(site, free_port(), free_port()) as base:
        for path in ["/", "/en/", "/noshiro/mini/", "/en/noshiro/mini/measures/1-%281%29-%E2%91%A0/",
                     "/noshiro/mini/plan.csv", "/en/noshiro/mini/plan.json", "/sitemap.xml", "/noshiro/sitemap.xml",
                     "/robots.txt"]:  # fmt: skip
            served = urllib.request.urlopen(base + path)
            django = client.get(path)
            assert served.read() == body(django), path
            assert {h: served.headers.get(h) for h in compared} == {h: django.get(h) for h in compared}, path
            assert csp(served.headers["Content-Security-Policy"]) == csp(django["Content-Security-Policy"])
            assert served.headers["ETag"] and served.headers["Last-Modified"]
