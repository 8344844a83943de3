"""A plan's publication in the admin: preview its pages, publish it, or take it back to a draft.

On the plan's change page (templates/admin/plans/plan/change_form.html) its staff find the preview of
its public pages (dxportal.public.preview, linked by URL name: the admin never imports the public site)
and HQ of its municipality the buttons 「この計画を公開する」 / 「下書きに戻す」. Both go through
kpis.workflow.publish_plan / withdraw_plan, which check the right, write the history and make the public
pages follow; the status is therefore read-only in the form (one way to publish, not two).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from kpis.workflow import WorkflowError, publish_plan, withdraw_plan
from plans import access
from plans.models import Plan


def preview_url(plan) -> str:
    return reverse("plan-preview", args=[plan.municipality.slug, plan.slug])


def public_url(plan) -> str:
    return reverse("plan", args=[plan.municipality.slug, plan.slug])


class PlanPublicationMixin:
    """For the Plan ModelAdmin: /<id>/publish/ and /<id>/withdraw/ (POST), the links on the change page."""

    def get_urls(self):
        site = self.admin_site
        return [
            path("<path:object_id>/publish/", site.admin_view(self.publish_view), name="plans_plan_publish"),
            path("<path:object_id>/withdraw/", site.admin_view(self.withdraw_view), name="plans_plan_withdraw"),
        ] + super().get_urls()

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "status")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        plan = self.get_object(request, object_id)
        if plan is not None:
            extra_context = {
                **(extra_context or {}),
                "preview_url": preview_url(plan),
                "public_url": public_url(plan) if plan.status == Plan.Status.PUBLISHED else "",
                "can_publish": access.can_publish(request.user, plan),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def publication_view(self, request, object_id, change, done: str):
        plan = get_object_or_404(self.get_queryset(request).select_related("municipality"), pk=object_id)
        try:
            plan = change(user=request.user, plan=plan)
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        except WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done_message(plan, done))
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]))

    @method_decorator(require_POST)
    def publish_view(self, request, object_id):
        return self.publication_view(request, object_id, publish_plan, "published")

    @method_decorator(require_POST)
    def withdraw_view(self, request, object_id):
        return self.publication_view(request, object_id, withdraw_plan, "withdrawn")


def done_message(plan, done: str):
    if done == "published":
        return format_html(
            '{}を公開しました。住民向けのページ: <a href="{}">{}</a>', plan.title, public_url(plan), public_url(plan)
        )
    return format_html(
        '{}を下書きに戻しました。公開ページからは消え、<a href="{}">プレビュー</a>で職員だけが見られます',
        plan.title,
        preview_url(plan),
    )
