"""Municipalities, their departments, plans, revisions and the category tree of a plan."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from plans.evaluation import Scheme, parse_scheme, validate_evaluation, validate_mark_legend
from plans.validators import validate_municipality_slug

FY_MIN, FY_MAX = 1989, 2100


class Provenance(models.Model):
    """Where a record came from in a source document, and any doubt about its reading."""

    source_document = models.CharField(_("出典資料"), max_length=200, blank=True)
    source_lines = models.CharField(_("出典の行"), max_length=40, blank=True, help_text="e.g. 690-745")
    uncertain = models.TextField(_("読み取りの疑義"), blank=True)

    class Meta:
        abstract = True


class DatePrecision(models.TextChoices):
    DAY = "day", _("日")
    MONTH = "month", _("月")


class Municipality(models.Model):
    code = models.CharField(_("全国地方公共団体コード"), max_length=6, unique=True)
    name = models.CharField(_("団体名"), max_length=100)
    name_en = models.CharField(_("英語名"), max_length=100, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10)
    slug = models.SlugField(_("URL用の名前"), unique=True, validators=[validate_municipality_slug])

    municipality_path = ""  # the municipality itself (plans.ownership)

    class Meta:
        ordering = ["code"]
        verbose_name = _("地方公共団体")
        verbose_name_plural = _("地方公共団体")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="municipality_code_six_digits"),
        ]

    def __str__(self):
        return f"{self.prefecture}{self.name}"


class Department(models.Model):
    """A 部 or 課 of a municipality; 課 point to their 部 through parent."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="departments", verbose_name=_("地方公共団体")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上位の部署")
    )
    name = models.CharField(_("名称"), max_length=200)
    email = models.EmailField(_("連絡用メールアドレス"), blank=True, help_text=_("入力の督促メールの宛先"))

    municipality_path = "municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["municipality", "name"]
        verbose_name = _("担当部署")
        verbose_name_plural = _("担当部署")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="department_unique_name"),
        ]

    def __str__(self):
        return self.name


class StaffMembership(models.Model):
    """A department staff user (担当課職員) belongs to one or more departments; they update those departments' KPIs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships", verbose_name=_("利用者")
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="staff_memberships", verbose_name=_("担当課")
    )

    history = HistoricalRecords()

    municipality_path = "department__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["department", "user"]
        verbose_name = _("担当課の職員")
        verbose_name_plural = _("担当課の職員")
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="staff_membership_unique")]

    def __str__(self):
        return f"{self.user} / {self.department}"


class HQMembership(models.Model):
    """A member of a municipality's DX HQ (DX推進本部): sees and manages every plan of that municipality."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hq_memberships", verbose_name=_("利用者")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="hq_memberships", verbose_name=_("地方公共団体")
    )

    history = HistoricalRecords()

    municipality_path = "municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["municipality", "user"]
        verbose_name = _("DX推進本部の職員")
        verbose_name_plural = _("DX推進本部の職員")
        constraints = [models.UniqueConstraint(fields=["user", "municipality"], name="hq_membership_unique")]

    def __str__(self):
        return f"{self.user} / {self.municipality}"


class PlanQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Plan.Status.PUBLISHED)

    def visible_to(self, user):
        """Plans the user may see in the admin (see plans.access)."""
        from plans.access import plan_scope

        return self.filter(plan_scope(user))


class Plan(Provenance):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PUBLISHED = "published", _("公開")

    class ScoringPolicy(models.TextChoices):
        NET = "net", _("差引き（↗=+1, →=0, ↘=−1 の合計）")
        WORST = "worst", _("最も低い指標で判定")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="plans", verbose_name=_("地方公共団体")
    )
    slug = models.SlugField(_("URL用の名前"))
    title = models.CharField(_("計画名"), max_length=300)
    edition = models.CharField(_("版"), max_length=100, blank=True)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_on = models.DateField(_("公表日"), null=True, blank=True)
    published_on_precision = models.CharField(
        _("公表日の精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    period_start_fy = models.PositiveSmallIntegerField(_("計画期間（開始年度）"))
    period_end_fy = models.PositiveSmallIntegerField(_("計画期間（終了年度）"))
    replaces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by", verbose_name=_("前計画")
    )
    scoring_policy = models.CharField(
        _("評価の方法"), max_length=10, choices=ScoringPolicy.choices, default=ScoringPolicy.NET
    )
    mark_legend = models.JSONField(_("評価記号の凡例"), default=list, blank=True, validators=[validate_mark_legend])
    evaluation = models.JSONField(
        _("評価の方法"),
        null=True,
        blank=True,
        validators=[validate_evaluation],
        help_text=_("空欄: ↗ → ↘ － で取組ごとに評価（既定）。書式は docs/glossary.md の「評価の方法」の表"),
    )
    stage_legend = models.JSONField(_("段階の凡例"), default=list, blank=True)
    # The plan's own words for its measures and KPIs (取組項目, 施策 / 目標, 成果指標); its categories' are
    # Category.level_name. Empty: 取組 and 指標.
    measure_level_name = models.CharField(_("取組の呼び方"), max_length=50, blank=True, help_text=_("例: 取組項目"))
    kpi_level_name = models.CharField(_("指標の呼び方"), max_length=50, blank=True, help_text=_("例: 目標"))
    related_plans = models.JSONField(_("関連計画"), default=list, blank=True)
    description = models.TextField(_("説明"), blank=True)

    objects = PlanQuerySet.as_manager()
    history = HistoricalRecords()

    municipality_path = "municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["municipality__code", "-period_start_fy", "slug"]
        verbose_name = _("計画")
        verbose_name_plural = _("計画")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="plan_unique_slug"),
            models.CheckConstraint(
                condition=Q(period_start_fy__lte=models.F("period_end_fy")), name="plan_period_order"
            ),
            models.CheckConstraint(
                condition=Q(period_start_fy__gte=FY_MIN, period_end_fy__lte=FY_MAX), name="plan_period_range"
            ),
        ]

    def __str__(self):
        return f"{self.municipality.name} {self.title}"

    @property
    def fiscal_years(self) -> list[int]:
        return list(range(self.period_start_fy, self.period_end_fy + 1))

    @property
    def scheme(self) -> Scheme:
        """The plan's evaluation scheme: its own (``evaluation``) or the default one."""
        return parse_scheme(self.evaluation, scoring_policy=self.scoring_policy, legend=self.mark_legend)

    @property
    def legend(self) -> list[dict]:
        """Every outcome of the plan's scheme, best first, with the plan's symbols: what every surface lists."""
        return self.scheme.legend()

    @property
    def measure_word(self) -> str:
        """What the plan calls its measures: 取組 unless it says otherwise (取組項目, 施策 …)."""
        return self.measure_level_name or "取組"

    @property
    def kpi_word(self) -> str:
        """What the plan calls its KPIs: 指標 unless it says otherwise (目標 …)."""
        return self.kpi_level_name or "指標"

    @property
    def counted_word(self) -> str:
        """What its marks are given to and its summaries count: its KPIs (scheme unit "kpi") or its measures."""
        return self.kpi_word if self.scheme.unit == "kpi" else self.measure_word

    def accepts_fiscal_year(self, fiscal_year: int) -> bool:
        """Values may sit in the plan period or the year before it (the baseline-year column)."""
        return self.period_start_fy - 1 <= fiscal_year <= self.period_end_fy


class PlanRevision(Provenance):
    class Kind(models.TextChoices):
        ESTABLISHED = "established", _("策定")
        REVISED = "revised", _("改定")
        CHANGED = "changed", _("変更")
        EXTENDED = "extended", _("延長")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("計画"))
    key = models.SlugField(_("識別子"))
    date = models.DateField(_("日付"))
    date_precision = models.CharField(
        _("日付の精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    kind = models.CharField(_("種別"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=300, blank=True)
    summary = models.TextField(_("概要"), blank=True)
    period_end_fy = models.PositiveSmallIntegerField(_("変更後の終了年度"), null=True, blank=True)

    municipality_path = "plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["plan", "date", "key"]
        # One name for every kind (策定, 改定, 変更, 延長: docs/glossary.md), not 改定 for a 変更.
        verbose_name = _("計画の策定・改定・変更")
        verbose_name_plural = _("計画の策定・改定・変更")
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="revision_unique_key")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%Y-%m}"


class Category(Provenance):
    """A node of a plan's tree: 施策の柱 / 基本方針 at the top, policies and deeper levels below."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="categories", verbose_name=_("計画"))
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("上位の分類")
    )
    label = models.CharField(_("表示番号"), max_length=30)
    path = models.CharField(
        _("パス"), max_length=200, help_text=_("上の階層からの表示番号を / でつないだもの（例: 1/(2)）")
    )
    depth = models.PositiveSmallIntegerField(_("階層の深さ"), default=0)
    name = models.CharField(_("名称"), max_length=300)
    level_name = models.CharField(_("階層名"), max_length=50, blank=True)
    description = models.TextField(_("説明"), blank=True)
    position = models.PositiveIntegerField(_("表示順"), default=0)

    history = HistoricalRecords()

    municipality_path = "plan__municipality"  # the owning municipality (plans.ownership)

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("施策の柱・分類")
        verbose_name_plural = _("施策の柱・分類")
        constraints = [models.UniqueConstraint(fields=["plan", "path"], name="category_unique_path")]

    def __str__(self):
        return f"{self.label} {self.name}"


class PublicationRequest(models.Model):
    """A municipality whose public pages changed since they were last written as static files.

    The queue between the write paths and the worker that writes the files (``manage.py
    publish_static --drain``, ``dxportal.public.static_site``): one row per municipality, upserted by
    ``plans.publication.request_publication`` on every write, removed once the files are rewritten.
    In the database so that every process sees it, in the same transaction as the write it records.
    """

    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("地方公共団体")
    )
    requested_at = models.DateTimeField(_("依頼日時"))

    class Meta:
        verbose_name = _("静的ファイル書き出し依頼")
        verbose_name_plural = _("静的ファイル書き出し依頼")

    def __str__(self):
        return f"{self.municipality_id} @ {self.requested_at:%Y-%m-%d %H:%M:%S}"
