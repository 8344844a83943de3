"""計画の取込 in the admin: HQ uploads its plan (.xlsx workbook or .json) → preview → confirm.

- /manage/plans/plan/import/: the upload form (and the blank workbook for the user's municipality). The
  file is read exactly as ``manage.py import_plan`` reads it (kpis.sheets.plan_reader.read_plan_file) and
  every problem is listed in Japanese, naming sheet, row and column. Only HQ of the municipality the file
  names (registered first: 団体コードで追加) may bring it in; superusers may for any.
- The preview runs the import in a transaction that is rolled back and lists what would be created,
  changed and removed: categories, measures, KPIs, yearly values and marks.
- The upload waits for the confirmation in the database (kpis.sheets.uploads), not on the app server,
  and is taken once: confirming writes it with the same import_plan, all or nothing. The new plan's
  change page then offers its preview and, to HQ, its publication (dxportal.staff.plan_publication).
- Language: the admin lives at /manage/ without a language prefix and is Japanese; this page speaks
  English with ``?lang=en`` (kept through the upload and the confirmation, offered as a link on the
  page), as ``import_plan --lang en`` and the public site's /en/ do: the page, the preview and the
  validation problems. Problems found while reading a workbook name its Japanese sheets and headings.
"""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from kpis.interchange.importer import import_plan
from kpis.interchange.messages import describe_errors
from kpis.interchange.validation import PlanDocumentError
from kpis.limits import file_size_problem
from kpis.models import IndicatorValue
from kpis.sheets.plan_reader import read_plan_file
from kpis.sheets.plan_workbook import template_workbook
from kpis.sheets.uploads import keep_upload, take_upload
from measures.models import MeasureMark
from plans import access, fiscal
from plans.models import Municipality, Plan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLES = 12  # names listed per kind of change in the preview
ALREADY_TAKEN = gettext_lazy(
    "この取込は既に確定したか、保存期限が切れています。計画の一覧で確かめ、必要ならもう一度ファイルを選んでください"
)
KINDS = {  # the kinds of change the preview counts, in its order
    "categories": pgettext_lazy("plan import", "分類"),
    "measures": pgettext_lazy("plan import", "取組"),
    "indicators": pgettext_lazy("plan import", "指標"),
    "values": pgettext_lazy("plan import", "目標・実績"),
    "marks": pgettext_lazy("plan import", "評価"),
}


def page_language(request) -> str:
    """The page's language: English with ?lang=en (the admin has no /en/ prefix), else Japanese."""
    return "en" if request.GET.get("lang") == "en" else "ja"


class PlanUploadForm(forms.Form):
    plan_file = forms.FileField(
        label=gettext_lazy("計画のファイル"),
        help_text=gettext_lazy("計画のワークブック（.xlsx）か計画のJSON（.json）。取り込む前に内容を確認できます"),
    )

    def clean_plan_file(self):
        upload = self.cleaned_data["plan_file"]
        problem = file_size_problem(upload.size)
        if problem:
            raise ValidationError(problem)
        if not upload.name.lower().endswith((".xlsx", ".json")):
            raise ValidationError(
                _("「%(name)s」は読み込めません（.xlsx か .json のファイルを選んでください）") % {"name": upload.name}
            )
        return upload


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    filename = forms.CharField(widget=forms.HiddenInput, max_length=255)


@dataclass
class Change:
    kind: str  # a key of KINDS
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.created or self.changed or self.removed)

    @property
    def label(self) -> str:
        return KINDS[self.kind]


def plan_rows(plan: Plan | None) -> dict[str, dict[str, tuple]]:
    """{kind: {name shown: the fields a change shows in}} of a plan, for comparing before and after.

    The names are in the active language; before and after are read in the same one."""
    rows: dict[str, dict[str, tuple]] = {kind: {} for kind in KINDS}
    if plan is None or plan.pk is None:
        return rows
    for category_path, name, level, description in plan.categories.values_list(
        "path", "name", "level_name", "description"
    ):
        rows["categories"][_("分類 %(path)s") % {"path": category_path}] = (name, level, description)
    for key, *fields in plan.measures.values_list("key", "name", "code", "overview", "is_managed"):
        rows["measures"][_("取組 %(key)s") % {"key": key}] = tuple(fields)
    indicators = plan.indicators.values_list(
        "measure__key", "category__path", "name", "unit", "kind", "direction", "cumulative", "baseline_text"
    )
    for measure, category, name, *fields in indicators:
        rows["indicators"][owner_words(measure, category, name)] = tuple(fields)
    values = IndicatorValue.objects.filter(indicator__plan=plan).values_list(
        "indicator__measure__key",
        "indicator__category__path",
        "indicator__name",
        "fiscal_year",
        "target_text",
        "actual_text",
        "override",
        "override_reason",
    )
    for measure, category, name, fiscal_year, target, actual, override, reason in values:
        rows["values"][year_words(owner_words(measure, category, name), fiscal_year)] = (target, actual)
        if override:
            rows["marks"][year_words(owner_words(measure, category, name), fiscal_year)] = (override, reason)
    marks = MeasureMark.objects.filter(measure__plan=plan).exclude(override="")
    for key, fiscal_year, override, reason in marks.values_list(
        "measure__key", "fiscal_year", "override", "override_reason"
    ):
        rows["marks"][year_words(_("取組 %(key)s") % {"key": key}, fiscal_year)] = (override, reason)
    return rows


def owner_words(measure: str | None, category: str | None, name: str) -> str:
    if measure:
        return _("取組 %(key)s の指標『%(name)s』") % {"key": measure, "name": name}
    return _("分類 %(path)s の指標『%(name)s』") % {"path": category, "name": name}


def year_words(owner: str, fiscal_year: int) -> str:
    """令和6年度 as the workbook's headings name the year; FY2024 in English."""
    year = fiscal.english(fiscal_year) if translation.get_language() == "en" else fiscal.wareki(fiscal_year)
    return f"{owner} {year}"


def compare(before: dict[str, dict], after: dict[str, dict]) -> list[Change]:
    changes = []
    for kind in before:
        old, new = before[kind], after[kind]
        changes.append(
            Change(
                kind,
                created=[name for name in new if name not in old],
                changed=[name for name in new if name in old and new[name] != old[name]],
                removed=[name for name in old if name not in new],
            )
        )
    return changes


@dataclass
class Preview:
    document: dict | None = None
    problems: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    plan_title: str = ""
    new_plan: bool = False


def preview(user, filename: str, data: bytes, *, lang: str = "ja") -> Preview:
    """What importing the file would do (nothing is kept), or its problems (in Japanese, or English)."""
    reading = read_plan_file(filename, data, lang=lang)
    if reading.problems:
        return Preview(problems=reading.problems)
    document = reading.document
    refusal = permission_problem(user, document)
    if refusal:
        return Preview(problems=[refusal])
    existing = Plan.objects.filter(
        municipality__code=document["municipality"]["code"], slug=document["plan"]["slug"]
    ).first()
    before = plan_rows(existing)
    with transaction.atomic():
        try:
            plan = import_plan(document).plan
        except PlanDocumentError as error:
            transaction.set_rollback(True)
            return Preview(problems=describe_errors(error.errors, document, lang=lang, locator=reading.locator))
        after = plan_rows(plan)
        transaction.set_rollback(True)
    return Preview(document, [], compare(before, after), document["plan"]["title"], existing is None)


def permission_problem(user, document) -> str | None:
    """Only HQ of the municipality the file names (and superusers) bring its plan in."""
    code = str((document.get("municipality") or {}).get("code", "")) if isinstance(document, dict) else ""
    municipality = Municipality.objects.filter(code=code).first()
    if access.is_superuser(user):
        return None
    if municipality is None:
        return _(
            "団体コード「%(code)s」の団体はまだ登録されていません（ポータルの管理者に「団体コードで追加」を依頼してください）"
        ) % {"code": code}
    if not access.is_hq(user, municipality.pk):
        return _("%(municipality)sの計画は、%(municipality)sのDX推進本部の職員だけが取り込めます") % {
            "municipality": municipality
        }
    return None


class PlanImportMixin:
    """For the Plan ModelAdmin: 計画の取込 (upload → preview → confirm) and the blank workbook."""

    def get_urls(self):
        site = self.admin_site
        return [
            path("import/", site.admin_view(self.import_view), name="plans_plan_import"),
            path("import/confirm/", site.admin_view(self.confirm_view), name="plans_plan_import_confirm"),
            path("import/template/", site.admin_view(self.template_view), name="plans_plan_import_template"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import_plans": access.is_hq(request.user)}
        return super().changelist_view(request, extra_context)

    def import_page(self, request, lang: str, **context):
        """The page, rendered in its language (the admin around it included)."""
        with translation.override(lang):
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("計画の取込"),
                "lang": lang,
                "lang_query": "?lang=en" if lang == "en" else "",
                **context,
            }
            return TemplateResponse(request, "admin/plans/plan/import_plan.html", context).render()

    def import_view(self, request):
        if not access.is_hq(request.user):
            raise PermissionDenied
        lang = page_language(request)
        with translation.override(lang):
            form = PlanUploadForm(request.POST or None, request.FILES or None)
            context = {"form": form}
            if request.method == "POST" and form.is_valid():
                upload = form.cleaned_data["plan_file"]
                data = upload.read()
                result = preview(request.user, upload.name, data, lang=lang)
                context["preview"] = result
                if not result.problems:
                    context["confirm"] = ConfirmForm(initial={"token": keep_upload(data), "filename": upload.name})
        return self.import_page(request, lang, **context)

    @method_decorator(require_POST)
    def confirm_view(self, request):
        if not access.is_hq(request.user):
            raise PermissionDenied
        lang = page_language(request)
        form = ConfirmForm(request.POST)
        token, filename = (form.cleaned_data["token"], form.cleaned_data["filename"]) if form.is_valid() else ("", "")
        with translation.override(lang), transaction.atomic():
            data = take_upload(token) if token else None  # once: a second confirmation finds nothing
            if data is None:
                messages.error(request, str(ALREADY_TAKEN))
                return HttpResponseRedirect(reverse("admin:plans_plan_import") + ("?lang=en" if lang == "en" else ""))
            reading = read_plan_file(filename, data, lang=lang)
            problems = reading.problems or [p for p in [permission_problem(request.user, reading.document)] if p]
            if not problems:
                try:
                    result = import_plan(reading.document)
                except PlanDocumentError as error:
                    problems = describe_errors(error.errors, reading.document, lang=lang, locator=reading.locator)
            if problems:  # the file changed nothing; it stays for another try
                transaction.set_rollback(True)
                return self.import_page(request, lang, form=PlanUploadForm(), preview=Preview(problems=problems))
            messages.success(request, imported_message(result))
        return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[result.plan.pk]))

    def template_view(self, request):
        """The blank plan workbook for the user's municipality (this fiscal year and the four after it)."""
        municipality = access.hq_municipalities(request.user).order_by("code").first()
        if municipality is None and not access.is_superuser(request.user):
            raise PermissionDenied
        today = datetime.date.today()
        start = today.year if today.month >= 4 else today.year - 1
        workbook = template_workbook(municipality, start_fy=start, end_fy=start + 4)
        response = HttpResponse(content_type=XLSX)
        name = f"{municipality.code if municipality else 'plan'}-plan-workbook.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        workbook.save(response)
        return response


def imported_message(result):
    """What the import did, and where to look at the plan before it is published (in the active language)."""
    plan = result.plan
    counts = {"plan": plan, "created": result.created, "updated": result.updated, "deleted": result.deleted}
    done = _("%(plan)sを取り込みました（追加 %(created)s、変更 %(updated)s、削除 %(deleted)s）。") % counts
    status = _("状態: %(status)s") % {"status": plan.get_status_display()}
    preview_url = reverse("plan-preview", args=[plan.municipality.slug, plan.slug])
    return format_html('{}{} <a href="{}">{}</a>', done, status, preview_url, _("ページをプレビューする"))
