"""Measures (取組 / 施策) of a plan and what hangs off them: listings, owners, stages, schedule, marks."""

from django.db import models
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from plans.marks import final_mark
from plans.models import Category, Department, Plan, Provenance


class SdgGoal(models.Model):
    number = models.PositiveSmallIntegerField(_("番号"), primary_key=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        ordering = ["number"]
        verbose_name = _("SDGsゴール")
        verbose_name_plural = _("SDGsゴール")
        constraints = [models.CheckConstraint(condition=Q(number__gte=1, number__lte=17), name="sdg_goal_1_to_17")]

    def __str__(self):
        return f"{self.number}. {self.name}"


class PriorityArea(models.Model):
    """A theme of the national 自治体DX推進計画 (重点取組事項 …), used to compare municipalities."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    slug = models.SlugField(_("URL用の名前"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("国の重点取組事項")
        verbose_name_plural = _("国の重点取組事項")

    def __str__(self):
        return self.name


class MeasureQuerySet(models.QuerySet):
    def published(self):
        return self.filter(plan__status=Plan.Status.PUBLISHED)

    def for_plan(self, plan):
        return self.filter(plan=plan)

    def visible_to(self, user):
        """Measures the user may see in the admin and update the yearly fields of: all of their HQ's
        municipality, or their departments' own. Definitions and targets are a further HQ-only right
        (plans.access.can_edit_definitions)."""
        from measures.access import measure_scope  # measures.access reads these models

        return self.filter(measure_scope(user)).distinct()

    def with_listing(self):
        """Everything a list of measures shows, in a fixed number of queries."""
        return self.prefetch_related(
            Prefetch("listings", queryset=MeasureListing.objects.select_related("category")),
            Prefetch("ownerships", queryset=MeasureDepartment.objects.select_related("department")),
            "marks",
            "stages",
        )


class Measure(Provenance):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="measures", verbose_name=_("計画"))
    key = models.CharField(
        _("識別子"), max_length=60, help_text=_("計画の中で重複しない名前。ふつうは記載どおりの取組番号")
    )
    code = models.CharField(_("取組番号"), max_length=60, blank=True)
    name = models.CharField(_("名称"), max_length=300)
    position = models.PositiveIntegerField(_("表示順"), default=0)
    is_new = models.BooleanField(_("新規（○新）"), default=False)
    is_managed = models.BooleanField(_("管理対象"), default=True)
    overview = models.TextField(_("取組の概要"), blank=True)
    background = models.TextField(_("これまでの課題"), blank=True)
    started_fy = models.PositiveSmallIntegerField(_("実施開始年度"), null=True, blank=True)
    target_state = models.TextField(_("目指す姿"), blank=True)
    direction = models.TextField(_("取組の方向性"), blank=True)
    expected_effects = models.TextField(_("期待される効果"), blank=True)
    national_policies = models.TextField(_("関連する国の施策"), blank=True)
    related_plans = models.JSONField(_("関連計画"), default=list, blank=True)
    notes = models.TextField(_("備考"), blank=True)
    # 継続先: the measure goes on in a successor plan, as the document says (text) and/or which plan (its slug).
    continues_in = models.CharField(_("継続先（記載どおり）"), max_length=300, blank=True)
    continues_in_plan = models.SlugField(_("継続先の計画"), blank=True, help_text=_("同じ団体の後継計画のスラッグ"))
    departments_open_ended = models.BooleanField(_("担当課「等」"), default=False)
    departments_text = models.CharField(_("担当課（記載どおり）"), max_length=300, blank=True)
    sdgs = models.ManyToManyField(SdgGoal, blank=True, related_name="measures", verbose_name="SDGs")
    tags = models.ManyToManyField(PriorityArea, blank=True, related_name="measures", verbose_name=_("重点取組事項"))
    categories = models.ManyToManyField(
        Category, through="MeasureListing", related_name="measures", verbose_name=_("施策の柱・分類")
    )
    departments = models.ManyToManyField(
        Department, through="MeasureDepartment", related_name="measures", verbose_name=_("担当課")
    )

    objects = MeasureQuerySet.as_manager()
    history = HistoricalRecords()

    municipality_path = "plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("取組")
        verbose_name_plural = _("取組")
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="measure_unique_key")]

    def __str__(self):
        return f"{self.code} {self.name}".strip()


class MeasureListing(models.Model):
    """A measure listed under a category; the non-primary listings are 再掲 (cross-listings)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="listings", verbose_name=_("取組"))
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="listings", verbose_name=_("施策の柱・分類")
    )
    is_primary = models.BooleanField(_("主な掲載先（再掲でない）"), default=True)
    position = models.PositiveIntegerField(_("表示順"), default=0)

    municipality_path = "measure__plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["measure", "-is_primary", "position"]
        verbose_name = _("掲載先の分類")
        verbose_name_plural = _("掲載先の分類")
        constraints = [
            models.UniqueConstraint(fields=["measure", "category"], name="listing_unique"),
            models.UniqueConstraint(fields=["measure"], condition=Q(is_primary=True), name="listing_one_primary"),
        ]

    def __str__(self):
        return f"{self.category.path}{'' if self.is_primary else ' (再掲)'}"


class MeasureDepartment(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("取組"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("担当課")
    )
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)

    municipality_path = "measure__plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["measure", "position"]
        verbose_name = _("担当課")
        verbose_name_plural = _("担当課")
        constraints = [models.UniqueConstraint(fields=["measure", "department"], name="ownership_unique")]

    def __str__(self):
        return str(self.department)


class MeasureStage(models.Model):
    """Lifecycle stage (段階) of a measure; several per year make Akita's "(3)(4)"; no year = whole plan."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="stages", verbose_name=_("取組"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    stage = models.PositiveSmallIntegerField(_("段階"))

    municipality_path = "measure__plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["measure", "fiscal_year", "stage"]
        verbose_name = _("段階")
        verbose_name_plural = _("段階")
        constraints = [
            models.UniqueConstraint(fields=["measure", "fiscal_year", "stage"], name="stage_unique"),
            models.UniqueConstraint(
                fields=["measure", "stage"], condition=Q(fiscal_year__isnull=True), name="stage_unique_whole_plan"
            ),
            models.CheckConstraint(condition=Q(stage__gte=1, stage__lte=9), name="stage_range"),
        ]

    def __str__(self):
        return f"({self.stage})"


class ScheduleEntry(models.Model):
    """One cell of a measure's スケジュール / 年度計画: a row (parallel track) and a fiscal year."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="schedule", verbose_name=_("取組"))
    row = models.PositiveSmallIntegerField(_("段（並行する取組の行）"), default=0)
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    text = models.TextField(_("内容"), blank=True)
    continues = models.BooleanField(_("継続（⇒）"), default=False)
    milestone = models.BooleanField(_("節目"), default=False)

    municipality_path = "measure__plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["measure", "row", "fiscal_year"]
        verbose_name = _("スケジュール")
        verbose_name_plural = _("スケジュール")
        constraints = [models.UniqueConstraint(fields=["measure", "row", "fiscal_year"], name="schedule_unique_cell")]

    def __str__(self):
        return f"{self.fiscal_year}: {self.text or ('⇒' if self.continues else '')}"


class MeasureMark(models.Model):
    """The yearly mark (目標達成度) of a measure: computed by the engine, optionally overridden with a reason."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="marks", verbose_name=_("取組"))
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    # Mark codes are the plan's (plan.legend: the four default codes or its evaluation scheme's), so the
    # columns carry no fixed choices; the import and the admin's forms check them against the plan.
    computed = models.CharField(_("算定された評価"), max_length=16, blank=True)
    explanation = models.CharField(_("算定の説明"), max_length=500, blank=True)
    override = models.CharField(_("確定した評価（上書き）"), max_length=16, blank=True)
    override_reason = models.TextField(_("上書きの理由"), blank=True)

    history = HistoricalRecords()

    municipality_path = "measure__plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["measure", "fiscal_year"]
        verbose_name = _("年度評価")
        verbose_name_plural = _("年度評価")
        constraints = [
            models.UniqueConstraint(fields=["measure", "fiscal_year"], name="measure_mark_unique_year"),
            models.CheckConstraint(
                condition=Q(override="") | ~Q(override_reason=""), name="measure_mark_override_reason"
            ),
        ]

    def __str__(self):
        # Not the mark's code ("exceeded"): its words depend on the plan's legend (the admin shows them).
        return f"{self.measure} {self.fiscal_year}"

    @property
    def mark(self) -> str:
        """The final mark: the override if there is one, else the computed mark ('' = none)."""
        return final_mark(self.override, self.computed)
