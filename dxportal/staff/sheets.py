"""Admin wiring for spreadsheets.

- ``PlanSheetsMixin`` (on the Plan admin): download the review workbook or the actuals template of a
  fiscal year (a small form asks for it), also reachable as changelist actions.
- ``ActualsImportMixin`` (on the IndicatorValue admin): django-import-export's import page with the
  actuals resource: upload → preview (per row new / changed / unchanged, or the errors) → confirm,
  which writes every row in one transaction or nothing. The upload is refused above the size limit
  (kpis.limits) before it is read, and waits for the confirmation in the database
  (kpis.sheets.uploads), so any app server can take it and only the first confirmation does.
"""

import datetime
import tempfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.forms import ImportForm
from import_export.results import RowResult
from import_export.tmp_storages import BaseStorage

from dxportal.staff.actuals_resource import ActualsResource, ActualsSheetFormat
from kpis.limits import file_size_problem
from kpis.sheets.review import build_review_workbook
from kpis.sheets.template import build_actuals_template
from kpis.sheets.uploads import keep_upload, peek_upload, take_upload
from plans.access import can_export, has_role
from plans.fiscal import label as fy_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = {
    "review": ("審査用ワークブック（目標達成状況・施策集）", "review"),
    "template": ("実績入力テンプレート", "actuals"),
}


def current_fiscal_year(today: datetime.date | None = None) -> int:
    today = today or datetime.date.today()
    return today.year if today.month >= 4 else today.year - 1


class FiscalYearForm(forms.Form):
    fy = forms.TypedChoiceField(label="年度", coerce=int)

    def __init__(self, plan, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = plan.fiscal_years
        self.fields["fy"].choices = [(fy, fy_label(fy)) for fy in years]
        # Reviews look back at the year just ended.
        self.fields["fy"].initial = min(max(current_fiscal_year() - 1, years[0]), years[-1])


def build_file(kind: str, plan, fy: int, user):
    handle = tempfile.TemporaryFile()  # large workbooks never sit whole in memory
    if kind == "review":
        build_review_workbook(plan, fy, handle, user=user)
    else:
        build_actuals_template(plan, fy, handle, user=user)
    handle.seek(0)
    return handle


@admin.action(description="審査用ワークブック（Excel）を出力")
def export_review_sheets(modeladmin, request, queryset):
    return redirect_to_sheet(modeladmin, request, queryset, "review")


@admin.action(description="実績入力テンプレート（Excel）を出力")
def export_actuals_template(modeladmin, request, queryset):
    return redirect_to_sheet(modeladmin, request, queryset, "template")


def redirect_to_sheet(modeladmin, request, queryset, kind):
    plans = list(queryset[:2])
    if len(plans) != 1:
        modeladmin.message_user(request, "計画を1件だけ選んでください", messages.ERROR)
        return None
    return HttpResponseRedirect(reverse("admin:plans_plan_sheets", args=[plans[0].pk, kind]))


class PlanSheetsMixin:
    """For the Plan ModelAdmin: /<id>/sheets/review/ and /<id>/sheets/template/ and two actions."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.sheet_view)
        return [path("<path:object_id>/sheets/<slug:kind>/", view, name="plans_plan_sheets")] + super().get_urls()

    def get_actions(self, request):
        actions = super().get_actions(request)
        for action in (export_review_sheets, export_actuals_template):
            actions[action.__name__] = self.get_action(action)
        return actions

    def sheet_view(self, request, object_id, kind):
        if kind not in SHEETS:
            raise Http404("unknown sheet")
        plan = get_object_or_404(self.get_queryset(request).select_related("municipality"), pk=object_id)
        if not can_export(request.user, plan):
            raise PermissionDenied
        form = FiscalYearForm(plan, request.GET or None)
        title, suffix = SHEETS[kind]
        if form.is_valid():
            fy = form.cleaned_data["fy"]
            filename = f"{plan.municipality.code}-{plan.slug}-{fy}-{suffix}.xlsx"
            handle = build_file(kind, plan, fy, request.user)
            return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": plan,
            "title": f"{title}の出力",
            "sheet_title": title,
            "kind": kind,
            "form": form,
        }
        return TemplateResponse(request, "admin/kpis/sheets/export_form.html", context)


class ActualsImportForm(ImportForm):
    """The upload. No year to choose: the template is exported for one year and its rows carry it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = "取り込むファイル"
        self.fields["import_file"].help_text = "実績入力テンプレート。年度はテンプレートの年度です"
        self.fields["format"].label = "形式"

    def clean_import_file(self):
        """Refuse a file above the size limit before the import reads it into memory."""
        upload = self.cleaned_data["import_file"]
        problem = file_size_problem(upload.size)
        if problem:
            raise ValidationError(problem)
        return upload


ALREADY_CONFIRMED = (
    "この取込は既に確定したか、保存期限が切れています。取り込み済みかどうか実績の一覧で確かめ、"
    "必要ならファイルをもう一度選んで取り込んでください"
)


class DatabaseUploadStorage(BaseStorage):
    """django-import-export's store for the upload between preview and confirmation: the database.

    ``save`` and ``read`` serve the preview; the confirmation takes the file with ``take_upload``
    (ActualsImportMixin.process_import), so nothing is left to remove.
    """

    def save(self, data):
        self.name = keep_upload(data)

    def read(self):
        return peek_upload(self.name) or b""

    def remove(self):
        """Nothing to do: the confirmation took the file."""


class ActualsImportMixin(ImportMixin):
    """For the IndicatorValue ModelAdmin: import filled-in actuals templates with a preview."""

    resource_classes = [ActualsResource]
    import_form_class = ActualsImportForm
    tmp_storage_class = DatabaseUploadStorage
    import_template_name = "admin/kpis/sheets/import_actuals.html"
    skip_admin_log = True  # the audit history (django-simple-history, through save_entries) records each row

    @property
    def import_formats(self):
        return [ActualsSheetFormat]

    def has_import_permission(self, request):
        return has_role(request.user)

    def import_action(self, request, **kwargs):
        """The upload and its preview; an upload the preview refused is not kept waiting for a confirmation."""
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        upload = (getattr(form, "cleaned_data", None) or {}).get("import_file")
        name = getattr(upload, "tmp_storage_name", None)
        if name and not context.get("confirm_form"):
            take_upload(name)
        return response

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirmation: take the upload from the database (once) and import it.

        django-import-export's own reads a file on this app server, which a confirmation sent twice, or
        to another app server, does not find (a 500); here the second gets a message.
        """
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return super().process_import(request, **kwargs)  # shows the form's errors
        data = take_upload(confirm_form.cleaned_data["import_file_name"])
        if data is None:
            messages.error(request, ALREADY_CONFIRMED)
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        dataset = ActualsSheetFormat().create_dataset(data)  # the one format (import_formats)
        result = self.process_dataset(dataset, confirm_form, request, **kwargs)
        return self.process_result(result, request)

    def process_result(self, result, request):
        """After confirm: on any error show it (nothing was written), else say what was written."""
        if result.has_errors() or result.has_validation_errors():
            context = {
                **self.admin_site.each_context(request),
                "title": "実績の取込",
                "opts": self.model._meta,
                "result": result,
                "form": self.get_import_form_class(request)(
                    self.get_import_formats(), self.get_import_resource_classes(request)
                ),
                "import_error_display": self.import_error_display,
                "fields_list": [
                    (r.get_display_name(), [f.column_name for f in r().get_user_visible_fields()])
                    for r in self.get_import_resource_classes(request)
                ],
            }
            return TemplateResponse(request, [self.import_template_name], context)
        totals = result.totals
        messages.success(
            request,
            f"実績を取り込みました（新規 {totals[RowResult.IMPORT_TYPE_NEW]} 行、"
            f"変更 {totals[RowResult.IMPORT_TYPE_UPDATE]} 行、変更なし {totals[RowResult.IMPORT_TYPE_SKIP]} 行）",
        )
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
