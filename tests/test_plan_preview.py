"""The preview of a draft plan's pages (dxportal.public.preview) and its publication from the admin
(dxportal.staff.plan_publication): its own staff see it, nobody else; never cached; HQ publishes it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from plans.models import Plan
from plans.validators import reserved_slugs

pytestmark = pytest.mark.django_db

PREVIEW = "/preview/noshiro/mini/"
PUBLIC = "/noshiro/mini/"


@pytest.fixture
def draft_plan(roles_plan):
    Plan.objects.filter(pk=roles_plan.pk).update(status=Plan.Status.DRAFT)
    roles_plan.refresh_from_db()
    return roles_plan


def text(response) -> str:
    return response.content.decode()


def test_hq_reads_the_draft_s_pages_marked_as_a_preview_and_never_stored(client, hq_x, draft_plan):
    client.force_login(hq_x)
    page = client.get(PREVIEW)
    assert page.status_code == 200
    assert (page["Cache-Control"], page["X-Robots-Tag"]) == ("private, no-store", "noindex, nofollow")
    body = text(page)
    assert "<h1>テスト計画" in body
    assert "この計画は下書きです。住民には見えず、能代市の職員だけがこのプレビューで見られます。" in body
    assert f'action="{reverse("admin:plans_plan_publish", args=[draft_plan.pk])}"' in body
    # The plan's own pages stay in the preview; the rest of the site is the public one.
    assert 'href="/preview/noshiro/mini/measures/1-(1)-%E2%91%A0/"' in body
    assert 'href="/preview/noshiro/mini/roadmap/"' in body
    assert 'href="/preview/noshiro/mini/summary/2023/"' in body
    assert 'href="/noshiro/mini/measures/' not in body and 'href="/noshiro/mini/roadmap/"' not in body
    for path in ("measures/1-(1)-%E2%91%A0/", "roadmap/", "summary/2024/"):
        other = client.get(PREVIEW + path)
        assert other.status_code == 200 and other["Cache-Control"] == "private, no-store", path
        assert "この計画は下書きです" in text(other)
    anonymous = Client().get(PREVIEW)  # the page cache kept nothing of it: the login, not the page
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/manage/login/?next={PREVIEW}")


def test_department_staff_of_the_municipality_preview_but_are_not_offered_to_publish(client, staff_a, draft_plan):
    client.force_login(staff_a)
    body = text(client.get(PREVIEW))
    assert "この計画は下書きです" in body and "この計画を公開する" not in body


def test_nobody_else_sees_a_draft(client, hq_y, draft_plan):
    assert client.get(PUBLIC).status_code == 404
    response = client.get(PREVIEW)
    assert (response.status_code, response["Location"]) == (302, f"/manage/login/?next={PREVIEW}")
    client.force_login(hq_y)  # HQ of another municipality: not even told that the plan exists
    assert client.get(PREVIEW).status_code == 404
    assert client.get(PREVIEW + "roadmap/").status_code == 404


def test_the_preview_speaks_english_under_en(client, hq_x, draft_plan):
    client.force_login(hq_x)
    body = text(client.get("/en" + PREVIEW))
    assert "This plan is a draft. Residents do not see it; only the staff of 能代市 see this preview." in body
    assert 'href="/en/preview/noshiro/mini/roadmap/"' in body


def test_a_draft_is_in_no_sitemap(client, draft_plan):
    assert client.get("/noshiro/sitemap.xml").status_code == 404
    assert "/noshiro/mini/" not in text(client.get("/sitemap.xml"))
    assert "preview" not in text(client.get("/sitemap-portal.xml"))
    assert "preview" in reserved_slugs()  # no municipality may be called /preview/


def test_hq_publishes_from_the_change_page_and_the_status_is_no_form_field(
    client, hq_x, draft_plan, django_capture_on_commit_callbacks
):
    client.force_login(hq_x)
    change = reverse("admin:plans_plan_change", args=[draft_plan.pk])
    page = text(client.get(change))
    assert f'<li><a href="{PREVIEW}">下書きをプレビュー</a></li>' in page
    assert 'value="この計画を公開する"' in page
    assert 'name="status"' not in page  # read-only: published only through the publish button
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("admin:plans_plan_publish", args=[draft_plan.pk]), follow=True)
    assert f'テスト計画を公開しました。住民向けのページ: <a href="{PUBLIC}">{PUBLIC}</a>' in text(done)
    assert Plan.objects.get(pk=draft_plan.pk).status == Plan.Status.PUBLISHED
    assert client.get(PUBLIC).status_code == 200
    assert 'value="下書きに戻す（公開をやめる）"' in text(client.get(change))
    again = client.post(reverse("admin:plans_plan_publish", args=[draft_plan.pk]), follow=True)
    assert "テスト計画は既に公開されています" in text(again)


def test_only_hq_of_the_municipality_publishes_and_only_by_post(client, staff_a, hq_y, draft_plan):
    publish = reverse("admin:plans_plan_publish", args=[draft_plan.pk])
    client.force_login(staff_a)
    assert 'value="この計画を公開する"' not in text(
        client.get(reverse("admin:plans_plan_change", args=[draft_plan.pk]))
    )
    refused = client.post(publish, follow=True)
    assert "計画を公開する権限がありません（その団体の推進本部のみ）" in text(refused)
    assert client.get(publish).status_code == 405
    client.force_login(hq_y)
    assert client.post(publish).status_code == 404  # not a plan of theirs
    assert Plan.objects.get(pk=draft_plan.pk).status == Plan.Status.DRAFT


def test_the_preview_is_the_page_residents_see_once_the_plan_is_published(
    client, hq_x, draft_plan, django_capture_on_commit_callbacks
):
    client.force_login(hq_x)
    previews = {path: text(client.get(PREVIEW + path)) for path in ("", "measures/1-(1)-%E2%91%A0/", "summary/2024/")}
    assert "↗" in previews[""]  # the marks of the published years, hidden while the plan is a draft
    assert Plan.objects.get(pk=draft_plan.pk).status == Plan.Status.DRAFT  # the preview changed nothing
    assert draft_plan.history.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:plans_plan_publish", args=[draft_plan.pk]))
    resident = Client()
    for path, preview in previews.items():
        without_banner = re.sub(
            r'\n<link rel="stylesheet" href="/static/css/preview.css">.*?</aside>\n', "", preview, flags=re.S
        )
        assert without_banner.replace('"/preview/noshiro/mini/', '"/noshiro/mini/') == text(
            resident.get(PUBLIC + path)
        ), path
