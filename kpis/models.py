"""Indicators (KPI / 数値目標) and their yearly target and actual values."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kpis.engine import NOT_APPLICABLE_TEXTS
from measures.models import Measure
from plans.marks import final_mark
from plans.models import Category, Department, Plan, PlanRevision, Provenance


def evidence_storage():
    """Evidence files (根拠資料) are internal: kept outside MEDIA_ROOT, never served as static media."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(
        location=getattr(settings, "EVIDENCE_ROOT", settings.BASE_DIR / "private" / "evidence"),
        # Links point at the admin view that checks the reader's role before sending the file.
        base_url=f"/{settings.ADMIN_URL_PREFIX}kpis/indicatorvalue/evidence/",
    )


class Indicator(Provenance):
    """A KPI of a measure, or a numeric target (数値目標) of a category such as a 施策の柱."""

    class Kind(models.TextChoices):
        NUMERIC = "numeric", _("数値")
        QUALITATIVE = "qualitative", _("定性（実施・導入など）")
        PLACEHOLDER = "placeholder", _("目標未設定")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("大きいほど良い")
        LOWER = "lower", _("小さいほど良い")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("計画"))
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, null=True, blank=True, related_name="kpis", verbose_name=_("取組")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("施策の柱・分類（数値目標）"),
    )
    name = models.CharField(_("指標名"), max_length=300)
    unit = models.CharField(_("単位"), max_length=50, blank=True)
    kind = models.CharField(_("種類"), max_length=12, choices=Kind.choices, default=Kind.NUMERIC)
    direction = models.CharField(_("方向"), max_length=6, choices=Direction.choices, default=Direction.HIGHER)
    cumulative = models.BooleanField(_("累計"), default=False)
    baseline_text = models.CharField(_("基準値（記載どおり）"), max_length=100, blank=True)
    baseline_value = models.DecimalField(_("基準値"), max_digits=18, decimal_places=4, null=True, blank=True)
    baseline_fy = models.PositiveSmallIntegerField(_("基準年度"), null=True, blank=True)
    definition = models.TextField(_("定義・出典"), blank=True)
    number = models.CharField(_("目標番号（記載どおり）"), max_length=30, blank=True, help_text=_("例: 目標1"))
    # A target dated after the plan's last year (…（2025年度末）) has no fiscal year of the plan to sit in:
    # kept as printed.
    target_after_period = models.CharField(_("計画期間後の目標（記載どおり）"), max_length=200, blank=True)
    continues_in = models.CharField(_("継続先（記載どおり）"), max_length=300, blank=True)
    continues_in_plan = models.SlugField(_("継続先の計画"), blank=True, help_text=_("同じ団体の後継計画のスラッグ"))
    introduced_in = models.ForeignKey(
        PlanRevision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="introduced_indicators",
        verbose_name=_("指標を設けた改定・変更"),
    )
    retired_in = models.ForeignKey(
        PlanRevision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retired_indicators",
        verbose_name=_("指標を見直した改定・変更"),
    )
    position = models.PositiveIntegerField(_("表示順"), default=0)
    # 再掲: the KPI printed again under other measures of the plan. It belongs to (and is marked and
    # counted with) its own measure only; the others' pages show it with a link back.
    also_listed_under = models.ManyToManyField(
        Measure, blank=True, related_name="relisted_kpis", verbose_name=_("再掲先の取組")
    )

    history = HistoricalRecords()

    municipality_path = "plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("指標")
        verbose_name_plural = _("指標")
        constraints = [
            models.CheckConstraint(
                condition=Q(measure__isnull=False, category__isnull=True)
                | Q(measure__isnull=True, category__isnull=False),
                name="indicator_one_owner",
            ),
            models.UniqueConstraint(
                fields=["measure", "name"], condition=Q(introduced_in__isnull=True), name="indicator_unique_measure"
            ),
            models.UniqueConstraint(
                fields=["measure", "name", "introduced_in"], name="indicator_unique_measure_revision"
            ),
            models.UniqueConstraint(
                fields=["category", "name"], condition=Q(introduced_in__isnull=True), name="indicator_unique_category"
            ),
            models.UniqueConstraint(
                fields=["category", "name", "introduced_in"], name="indicator_unique_category_revision"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_current(self) -> bool:
        return self.retired_in_id is None


class IndicatorValueQuerySet(models.QuerySet):
    def with_publication(self):
        """Annotate ``actual_public``: may residents see this year's actual and mark?

        Targets are part of the printed plan and always public once the plan is; actuals and marks
        become public when HQ publishes the fiscal year (see kpis.visibility).
        """
        from kpis.visibility import actual_public_expression

        return self.annotate(actual_public=actual_public_expression("indicator__plan", "fiscal_year"))

    def visible_to(self, user):
        """Values the user may see in the admin and update the actual, note and evidence of (year locks
        aside: kpis.access.can_update_value). Superusers: all; HQ: all of its municipality's plans; staff:
        values of KPIs of measures their departments own (a pillar's numeric target belongs to no
        department, so HQ only)."""
        from kpis.access import indicator_scope  # kpis.access reads these models

        return self.filter(indicator_scope(user, prefix="indicator__"))


class IndicatorValue(models.Model):
    """Target and actual of an indicator in one fiscal year.

    Each is kept as printed (text) and parsed (value). Empty text = not entered; a dash (－) = not
    applicable that year; 0 is a real zero.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("指標"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    target_text = models.CharField(_("目標（記載どおり）"), max_length=200, blank=True)
    target_value = models.DecimalField(_("目標値"), max_digits=18, decimal_places=4, null=True, blank=True)
    actual_text = models.CharField(_("実績（記載どおり）"), max_length=200, blank=True)
    actual_value = models.DecimalField(_("実績値"), max_digits=18, decimal_places=4, null=True, blank=True)
    achievement_text = models.CharField(_("達成度（記載どおり）"), max_length=50, blank=True)
    note = models.TextField(_("備考"), blank=True)
    # Mark codes are the plan's (plan.legend: the four default codes or its evaluation scheme's), so the
    # columns carry no fixed choices; the import and the admin's forms check them against the plan.
    computed = models.CharField(_("算定された評価"), max_length=16, blank=True)
    explanation = models.CharField(_("算定の説明"), max_length=500, blank=True)
    override = models.CharField(_("確定した評価（上書き）"), max_length=16, blank=True)
    override_reason = models.TextField(_("上書きの理由"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("定性評価の確認者"),
    )
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    evidence_file = models.FileField(
        _("根拠資料（ファイル）"), upload_to="%Y/", storage=evidence_storage, blank=True, max_length=200
    )
    evidence_url = models.URLField(_("根拠資料（URL）"), blank=True, max_length=500)
    # The plausibility warnings (kpis.plausibility) the user saw and confirmed when saving this actual;
    # empty when the actual raised none. HQ reviews these before publishing.
    confirmed_warning = models.TextField(_("確認済みの警告"), blank=True)

    objects = IndicatorValueQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["computed", "explanation"])

    municipality_path = "indicator__plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["indicator", "fiscal_year"]
        verbose_name = _("目標・実績")
        verbose_name_plural = _("目標・実績")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "fiscal_year"], name="value_unique_year"),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | ~Q(target_text=""), name="value_target_text"
            ),
            models.CheckConstraint(
                condition=Q(actual_value__isnull=True) | ~Q(actual_text=""), name="value_actual_text"
            ),
            models.CheckConstraint(condition=Q(override="") | ~Q(override_reason=""), name="value_override_reason"),
            models.CheckConstraint(condition=Q(fiscal_year__gte=1989, fiscal_year__lte=2100), name="value_fy_range"),
        ]

    def __str__(self):
        return f"{self.indicator} {self.fiscal_year}"

    @property
    def mark(self) -> str:
        """The final mark: the override if there is one, else the computed mark ('' = none)."""
        return final_mark(self.override, self.computed)

    @property
    def target_not_applicable(self) -> bool:
        return self.target_text.strip() in NOT_APPLICABLE_TEXTS

    @property
    def actual_not_applicable(self) -> bool:
        return self.actual_text.strip() in NOT_APPLICABLE_TEXTS


class PlanYear(models.Model):
    """The reporting state of one fiscal year of a plan (年度の状態); no row means the year is open.

    open → published (actuals and marks become public) → locked (read-only; only HQ corrections).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("受付中")
        PUBLISHED = "published", _("公表済み")
        LOCKED = "locked", _("確定（ロック）")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="years", verbose_name=_("計画"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.OPEN)
    published_at = models.DateTimeField(_("公表日時"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("公表した職員"),
    )
    locked_at = models.DateTimeField(_("確定日時"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("確定した職員"),
    )
    # The departments with KPIs that had not submitted their report when HQ published the year: the public
    # summary says so until each of them submits (kpis.workflow.unreported_departments).
    unreported_at_publication = models.ManyToManyField(
        Department, blank=True, related_name="unreported_years", verbose_name=_("公表時に報告がなかった担当課")
    )

    history = HistoricalRecords()

    municipality_path = "plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["plan", "fiscal_year"]
        verbose_name = _("年度の状態")
        verbose_name_plural = _("年度の状態")
        constraints = [
            models.UniqueConstraint(fields=["plan", "fiscal_year"], name="plan_year_unique"),
            models.CheckConstraint(
                condition=Q(status="open") | Q(published_at__isnull=False), name="plan_year_published_at"
            ),
        ]
        indexes = [
            # The home page's latest publications: newest first, without sorting every plan's years.
            models.Index(
                fields=["-published_at"],
                condition=Q(status__in=["published", "locked"]),
                name="plan_year_recent_publications",
            ),
        ]

    def __str__(self):
        return f"{self.plan} {self.fiscal_year} {self.get_status_display()}"


class DepartmentReport(models.Model):
    """A department's report of its actuals for a plan year: submitted by staff, approved or returned by HQ."""

    class Status(models.TextChoices):
        OPEN = "open", _("入力中")
        SUBMITTED = "submitted", _("提出済み")
        APPROVED = "approved", _("承認済み")
        RETURNED = "returned", _("差戻し")

    plan_year = models.ForeignKey(PlanYear, on_delete=models.CASCADE, related_name="reports", verbose_name=_("年度"))
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="reports", verbose_name=_("担当課")
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.OPEN)
    comment = models.TextField(_("差戻しの理由・コメント"), blank=True)
    submitted_at = models.DateTimeField(_("提出日時"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提出した職員"),
    )
    reviewed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("確認した職員"),
    )

    history = HistoricalRecords()

    municipality_path = "plan_year__plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["plan_year", "department"]
        verbose_name = _("担当課の報告")
        verbose_name_plural = _("担当課の報告")
        constraints = [
            models.UniqueConstraint(fields=["plan_year", "department"], name="department_report_unique"),
            models.CheckConstraint(condition=~Q(status="returned") | ~Q(comment=""), name="report_returned_comment"),
        ]

    def __str__(self):
        return f"{self.department} {self.plan_year.fiscal_year} {self.get_status_display()}"


class PendingUpload(models.Model):
    """An uploaded actuals file between the admin's preview and its confirmation.

    In the database rather than an app server's /tmp, so the confirmation may reach any app server; the
    first confirmation takes (deletes) it, so a second finds nothing (kpis.sheets.uploads).
    """

    token = models.CharField(_("受付番号"), max_length=32, unique=True)
    data = models.BinaryField(_("ファイルの内容"))
    created_at = models.DateTimeField(_("受け付けた日時"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("確定待ちの取込ファイル")
        verbose_name_plural = _("確定待ちの取込ファイル")

    def __str__(self):
        return f"{self.token} ({len(self.data):,} bytes)"
