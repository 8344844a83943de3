"""Production settings, security headers and the public page cache."""

import os
import random
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.interchange.importer import import_plan
from kpis.interchange.validation import check_digit_ok, validate_document
from kpis.management.commands.generate_demo_data import copy_plan, demo_code, demo_document, real_plans
from kpis.models import Indicator, IndicatorValue
from measures.models import Measure, MeasureListing
from plans.generations import bump_after_commit, current_generation
from plans.models import Category

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.jp",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.jp",
}


def run(args, env):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**inherited, **env}, capture_output=True, text=True, check=False
    )


def test_deploy_check_passes_in_production():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, "dxportal.cache.RedisCache"),
        ({"REDIS_URL": "", "CACHE_URL": ""}, "django.core.cache.backends.locmem.LocMemCache"),
    ],
)
def test_cache_backend_follows_redis_url(env, backend):
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    result = run(["-c", code], {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "dxportal.settings", **env})
    assert result.stdout.strip() == backend, result.stderr


def test_a_cache_url_that_is_not_redis_is_refused():
    result = run(["manage.py", "check"], {"CACHE_URL": "memcached://127.0.0.1:11211"})
    assert result.returncode != 0
    assert "REDIS_URL/CACHE_URL must be a redis://, rediss:// or unix:// URL" in result.stderr


def test_gunicorn_config_reads_workers_and_timeout_from_the_environment():
    result = run(
        ["-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config"],
        {"GUNICORN_WORKERS": "3", "GUNICORN_TIMEOUT": "12"},
    )
    pairs = (line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    config = {key.strip(): value.strip() for key, value in pairs}
    assert result.returncode == 0, result.stderr
    assert {k: config[k] for k in ("workers", "timeout", "preload_app", "wsgi_app", "max_requests_jitter")} == {
        "workers": "3",
        "timeout": "12",
        "preload_app": "True",
        "wsgi_app": "dxportal.wsgi:application",
        "max_requests_jitter": "2500",  # workers under an even load would otherwise restart together
    }


def superuser():
    # No password: force_login skips the deliberately slow hasher.
    return User.objects.create(username="hq", is_staff=True, is_superuser=True)


def url(name, plan, **kwargs):
    return reverse(name, kwargs={"municipality": plan.municipality.slug, "plan": plan.slug, **kwargs})


def public_urls(plan):
    return [
        "/",
        f"/{plan.municipality.slug}/",
        url("plan", plan),
        url("plan-summary", plan, fy=2023),
        url("measure", plan, key="1-(1)-①"),
        url("plan-json", plan),
        url("plan-csv", plan),  # streamed by the view, kept whole by the cache
    ]


@pytest.mark.django_db
def test_a_repeated_public_request_is_served_from_the_cache_without_queries(client, mini_plan):
    for target in public_urls(mini_plan):
        first = client.get(target)
        assert first.status_code == 200, target
        with CaptureQueriesContext(connection) as queries:
            second = client.get(target)
        assert len(queries) == 0, target
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]


@pytest.mark.django_db
def test_conditional_get_answers_304(client, mini_plan):
    first = client.get(url("plan", mini_plan))
    assert first["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert re.fullmatch(r'"[0-9a-f]{32}"', first["ETag"])
    again = client.get(url("plan", mini_plan), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    since = client.get(url("plan", mini_plan), headers={"if-modified-since": first["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(url("plan", mini_plan), headers={"if-none-match": '"0123"'})
    assert stale.status_code == 200


@pytest.mark.django_db
def test_an_import_invalidates_cached_pages_at_once(client, mini_document, django_capture_on_commit_callbacks):
    plan = import_plan(mini_document).plan
    before = client.get(url("plan", plan))
    assert "テスト計画" in before.content.decode()
    mini_document["plan"]["title"] = "改訂されたテスト計画"
    with django_capture_on_commit_callbacks(execute=True):
        import_plan(mini_document)
    after = client.get(url("plan", plan), headers={"if-none-match": before["ETag"]})
    assert after.status_code == 200
    assert "改訂されたテスト計画" in after.content.decode()
    assert after["ETag"] != before["ETag"]


@pytest.mark.django_db
def test_an_admin_edit_invalidates_cached_pages_at_once(client, mini_plan, django_capture_on_commit_callbacks):
    assert "秋田県能代市" in client.get("/").content.decode()
    staff = Client()
    staff.force_login(superuser())
    municipality = mini_plan.municipality
    generation = current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:plans_municipality_change", args=[municipality.pk]),
            {"code": "052027", "name": "のしろ市", "name_en": "", "prefecture": "秋田県", "slug": "noshiro"},
        )
    assert response.status_code == 302
    assert current_generation() > generation
    body = client.get("/").content.decode()
    assert "秋田県のしろ市" in body and "秋田県能代市" not in body


@pytest.mark.django_db
def test_the_admin_refuses_a_municipality_slug_that_is_a_path_of_the_portal(mini_plan):
    staff = Client()
    staff.force_login(superuser())
    municipality = mini_plan.municipality
    response = staff.post(
        reverse("admin:plans_municipality_change", args=[municipality.pk]),
        {"code": "052027", "name": "能代市", "name_en": "", "prefecture": "秋田県", "slug": "pref"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"] == [
        "'pref' is a path of the portal itself; choose another slug"
    ]
    municipality.refresh_from_db()
    assert municipality.slug == "noshiro"


@pytest.mark.django_db
def test_a_staff_login_does_not_flush_the_public_cache(client, django_capture_on_commit_callbacks):
    User.objects.create_superuser("hq", password="a-long-password-for-tests")
    generation = current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("admin:login"), {"username": "hq", "password": "a-long-password-for-tests", "next": "/manage/"}
        )
    assert response.status_code == 302
    assert current_generation() == generation


@pytest.mark.django_db
def test_public_pages_do_not_vary_on_cookies(client, mini_plan):
    for target in public_urls(mini_plan):
        response = client.get(target)
        vary = [v.strip().lower() for v in response.get("Vary", "").split(",")]
        assert "cookie" not in vary, target
        assert not response.cookies, target


@pytest.mark.django_db
def test_signed_in_users_bypass_the_page_cache(client, mini_plan):
    client.get(url("plan", mini_plan))
    staff = Client()
    staff.force_login(User.objects.create(username="dept-a"))
    with CaptureQueriesContext(connection) as queries:
        assert staff.get(url("plan", mini_plan)).status_code == 200
    assert len(queries) > 0


@pytest.mark.django_db
def test_english_lives_under_its_own_url_and_cache_entry(client, mini_plan):
    switch = client.post(reverse("set_language"), {"language": "en", "next": url("plan", mini_plan) + "?q=x"})
    assert switch.status_code == 302
    assert switch["Location"] == "/en/noshiro/mini/?q=x"
    english = client.get("/en/noshiro/mini/")
    japanese = client.get("/noshiro/mini/")  # the cookie set_language wrote changes nothing here
    assert (japanese["Content-Language"], english["Content-Language"]) == ("ja", "en")
    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="ja">' in japanese.content.decode()


@pytest.mark.django_db
def test_security_headers_and_csp_on_public_pages(client, mini_plan):
    for target in public_urls(mini_plan):
        response = client.get(target)
        for _ in range(2):  # a cache miss and a hit send the same headers
            assert csp(response) == STRICT_POLICY, target
            assert response["X-Frame-Options"] == "DENY"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Referrer-Policy"] == "same-origin"
            assert response["Cross-Origin-Opener-Policy"] == "same-origin"
            response = client.get(target)


STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def csp(response) -> dict:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.S)
INLINE_STYLE = re.compile(r"""\sstyle=["']|<style[\s>]|\son[a-z]+=["']""")


@pytest.mark.django_db
def test_public_pages_have_no_inline_script_or_style(client, mini_plan):
    for target in public_urls(mini_plan)[:-2]:
        body = client.get(target).content.decode()
        assert not INLINE_SCRIPT.search(body), target
        assert not INLINE_STYLE.search(body), (target, INLINE_STYLE.search(body))


@pytest.mark.django_db
def test_the_admin_works_under_the_csp(mini_plan):
    staff = Client()
    assert csp(staff.get(reverse("admin:login"))) == STRICT_POLICY
    staff.force_login(superuser())
    for target in [
        reverse("admin:index"),
        reverse("admin:plans_plan_changelist"),
        reverse("admin:plans_plan_change", args=[mini_plan.pk]),
        reverse("admin:plans_municipality_add"),
    ]:
        response = staff.get(target)
        assert response.status_code == 200, target
        assert csp(response) == STRICT_POLICY, target
        body = response.content.decode()
        assert not INLINE_SCRIPT.search(body), (target, INLINE_SCRIPT.search(body))
        assert not INLINE_STYLE.search(body), (target, INLINE_STYLE.search(body))


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert (response.status_code, response.content, len(queries)) == (200, b"ok\n", 0)
    assert response["Cache-Control"] == "no-store"


def test_demo_codes_are_valid_and_outside_every_real_prefecture():
    codes = [demo_code(n) for n in (0, 1, 999, 1000, 1740, 9999)]
    assert codes[:2] == ["900001", "910007"]  # round the demo prefectures 90–99
    assert all(check_digit_ok(code) and 90 <= int(code[:2]) <= 99 for code in codes)
    assert len({demo_code(n) for n in range(2000)}) == 2000
    with pytest.raises(ValueError, match="outside 0–9999"):
        demo_code(10_000)


@pytest.mark.django_db
def test_a_demo_document_keeps_the_real_shape_and_passes_validation():
    noshiro = next(t for t in real_plans() if t["municipality"]["slug"] == "noshiro")
    document = demo_document(noshiro, 12, random.Random(3), measures=150)
    validate_document(document)
    assert document["municipality"]["name"] == "デモ市0012"
    assert document["plan"]["title"] == "【デモ】能代市ＤＸ推進計画 施策集"
    assert len(document["measures"]) == 150 and len({m["key"] for m in document["measures"]}) == 150
    assert [c["label"] for c in document["categories"]] == [c["label"] for c in noshiro["categories"]]
    kinds = [k["kind"] for m in document["measures"][:73] for k in m.get("kpis", [])]
    assert kinds == [k["kind"] for m in noshiro["measures"] for k in m.get("kpis", [])]


@pytest.mark.django_db
def test_a_copied_demo_plan_has_the_same_rows_with_new_numbers(client, mini_plan):
    copy = copy_plan(mini_plan, 4, random.Random(1))
    assert str(copy.municipality) == "デモ県デモ市0004"
    for model, lookup in [
        (Measure, "plan"),
        (Category, "plan"),
        (Indicator, "plan"),
        (IndicatorValue, "indicator__plan"),
        (MeasureListing, "measure__plan"),
    ]:
        assert model.objects.filter(**{lookup: copy}).count() == model.objects.filter(**{lookup: mini_plan}).count()
    original = IndicatorValue.objects.get(
        indicator__plan=mini_plan, indicator__name="出張申請窓口の開催回数", fiscal_year=2023
    )
    copied = IndicatorValue.objects.get(
        indicator__plan=copy, indicator__name="出張申請窓口の開催回数", fiscal_year=2023
    )
    assert copied.target_text == f"{int(copied.target_value)}回/年"
    assert copied.actual_text == f"{int(copied.actual_value)}回/年"
    assert (copied.target_value is None, copied.actual_value is None) == (False, False)
    assert original.actual_text == "０回"
    assert client.get(f"/demo-0004/{copy.slug}/").status_code == 200


@pytest.mark.django_db
def test_a_stream_larger_than_the_cache_limit_is_passed_through_whole(client, mini_plan, settings):
    settings.PUBLIC_CACHE_MAX_BYTES = 100
    whole = b"".join(client.get(url("plan-csv", mini_plan)).streaming_content)
    assert len(whole) > 100
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url("plan-csv", mini_plan))
        assert b"".join(again.streaming_content) == whole
    assert len(queries) > 0


@pytest.mark.django_db
def test_a_page_rendered_before_the_commit_is_not_served_after_it(
    client, mini_plan, django_capture_on_commit_callbacks
):
    before = current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        bump_after_commit()
        client.get(url("plan", mini_plan))  # rendered while the writing transaction is still open
        during = current_generation()
    national, index = during
    assert during == before  # nothing moves before the commit: the page above reads the old rows
    assert current_generation() == (national + 1, index)  # bumped at the commit
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("plan", mini_plan)).status_code == 200
    assert len(queries) > 0
