"""HQ's correction page for a value of a locked year (訂正): the admin side of kpis.workflow.correct_locked_value.

Reached from the value's change page (read-only once its year is locked) and from the entry screen of a
locked year. The reason is required, kept in the audit history and shown on the public measure page
next to the change, flagged 訂正.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from kpis import audit, workflow
from kpis.entry import MAX_TEXT
from kpis.models import IndicatorValue, PlanYear
from plans import access
from plans.fiscal import label as fy_label


class CorrectionForm(forms.Form):
    actual_text = forms.CharField(label="訂正後の実績", max_length=MAX_TEXT, required=False)
    reason = forms.CharField(
        label="訂正の理由",
        required=False,  # the workflow says it is missing, in its own words
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="公開ページの「公表後の変更履歴」に「訂正」として、この理由とともに表示されます。",
    )
    # The actual as the page showed it: a correction made by someone else meanwhile is not overwritten.
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)


def correction_url(value) -> str:
    return reverse("admin:kpis_indicatorvalue_correct", args=[value.pk])


def may_correct(user, value) -> bool:
    """Is this a locked year's value the user (HQ of its municipality) may correct?"""
    plan = value.indicator.plan
    return access.can_correct(user, plan) and workflow.year_status(plan, value.fiscal_year) == PlanYear.Status.LOCKED


def corrections_of(value) -> list:
    """The value's earlier corrections, newest first (history rows tagged 訂正)."""
    records = value.history.filter(history_change_reason__startswith=audit.CORRECTION_LABEL)
    return list(records.select_related("history_user").order_by("-history_date", "-history_id"))


def correction_view(request, admin_site, queryset, object_id):
    """GET: the form with the current actual; POST: correct through the workflow, then back to the value."""
    value = get_object_or_404(queryset.select_related("indicator__plan__municipality"), pk=object_id)
    change_page = reverse("admin:kpis_indicatorvalue_change", args=[value.pk])
    if not access.can_correct(request.user, value.indicator.plan):
        raise PermissionDenied("確定した年度の値を訂正する権限がありません（推進本部のみ）")
    if not may_correct(request.user, value):
        messages.error(
            request, f"{fy_label(value.fiscal_year)}は確定（ロック）されていません（通常の入力で変更してください）"
        )
        return HttpResponseRedirect(change_page)
    form = CorrectionForm(request.POST or None, initial={"actual_text": value.actual_text, "loaded": value.actual_text})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            workflow.correct_locked_value(
                request.user, value, data["actual_text"], data["reason"], loaded=data["loaded"]
            )
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
            current = IndicatorValue.objects.get(pk=value.pk).actual_text
            if current != data["loaded"]:  # corrected meanwhile: the page now shows it, saving again overwrites
                form.data = form.data.copy()
                form.data["loaded"] = current
                value.actual_text = current
        else:
            messages.success(
                request,
                f"{value.indicator.name}（{fy_label(value.fiscal_year)}）の実績を訂正しました。"
                "公開ページの変更履歴に「訂正」として理由とともに表示されます",
            )
            return HttpResponseRedirect(change_page)
    context = {
        **admin_site.each_context(request),
        "title": f"確定した年度の値の訂正: {value.indicator.name} {fy_label(value.fiscal_year)}",
        "opts": IndicatorValue._meta,
        "original": value,
        "value": value,
        "form": form,
        "corrections": corrections_of(value),
    }
    return TemplateResponse(request, "admin/kpis/indicatorvalue/correct.html", context)
