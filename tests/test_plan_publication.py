"""Publishing a plan (kpis.workflow.publish_plan / withdraw_plan): HQ of its municipality only, audited,
and the public pages, sitemaps and cached pages follow at once."""

import pytest
from django.core.exceptions import PermissionDenied

from kpis.workflow import WorkflowError, publish_plan, withdraw_plan
from plans.models import Plan
from plans.publication import pending_requests, remove_requests

pytestmark = pytest.mark.django_db


def draft(plan) -> Plan:
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.DRAFT)
    plan.refresh_from_db()
    return plan


def test_hq_publishes_a_draft_and_the_history_says_who_and_why(hq_x, roles_plan, django_capture_on_commit_callbacks):
    plan = draft(roles_plan)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        published = publish_plan(user=hq_x, plan=plan)
    assert published.status == Plan.Status.PUBLISHED
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.PUBLISHED
    assert len(callbacks) >= 1  # the page-cache bump, after the commit
    record = plan.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason, record.status) == (
        hq_x,
        "計画の公開状態: 公開",
        "published",
    )


def test_publishing_twice_or_withdrawing_a_draft_is_refused_in_japanese(hq_x, roles_plan):
    with pytest.raises(WorkflowError, match="^テスト計画は既に公開されています$"):
        publish_plan(user=hq_x, plan=roles_plan)
    withdraw_plan(user=hq_x, plan=roles_plan)
    assert Plan.objects.get(pk=roles_plan.pk).status == Plan.Status.DRAFT
    assert roles_plan.history.order_by("-history_id").first().history_change_reason == "計画の公開状態: 下書きに戻す"
    with pytest.raises(WorkflowError, match=r"^テスト計画は公開されていません（下書きです）$"):
        withdraw_plan(user=hq_x, plan=roles_plan)


def test_only_hq_of_the_plan_s_municipality_publishes(hq_y, staff_a, roles_plan):
    plan = draft(roles_plan)
    for user in (hq_y, staff_a):
        with pytest.raises(PermissionDenied, match=r"計画を公開する権限がありません（その団体の推進本部のみ）"):
            publish_plan(user=user, plan=plan)
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT


def test_a_plan_without_measures_is_not_published(hq_x, roles_plan):
    plan = draft(roles_plan)
    plan.measures.all().delete()
    with pytest.raises(WorkflowError, match=r"^テスト計画には取組が1つもないため公開できません"):
        publish_plan(user=hq_x, plan=plan)


def test_the_public_plan_page_and_its_sitemap_follow_the_status(
    client, hq_x, roles_plan, django_capture_on_commit_callbacks
):
    plan = draft(roles_plan)
    path = f"/{plan.municipality.slug}/{plan.slug}/"
    assert client.get(path).status_code == 404
    assert client.get("/noshiro/sitemap.xml").status_code == 404  # no published plan: no sitemap
    with django_capture_on_commit_callbacks(execute=True):
        publish_plan(user=hq_x, plan=plan)
    page = client.get(path)
    assert page.status_code == 200 and "<h1>テスト計画" in page.content.decode()
    assert f"http://testserver{path}</loc>" in client.get("/noshiro/sitemap.xml").content.decode()
    assert client.get(path).status_code == 200  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_plan(user=hq_x, plan=plan)
    assert client.get(path).status_code == 404  # the cached page went stale with the withdrawal


def test_publishing_queues_the_static_files_of_the_municipality(hq_x, roles_plan, settings, tmp_path):
    settings.STATIC_PUBLISH_ROOT = str(tmp_path)
    plan = draft(roles_plan)
    remove_requests(done=pending_requests())
    publish_plan(user=hq_x, plan=plan)
    assert list(pending_requests()) == [plan.municipality_id]
