"""What a plan import may not change on its own account.

``import_plan`` writes the whole document inside one transaction and then compares the plan's values
and measure marks with what they were before (``plan_state``). Every change is caught however it came
about: a value rewritten or emptied, a row deleted with its indicator or measure, a mark recomputed
after a KPI's direction changed, an override set or dropped.

- A locked year (確定) changes only as a correction (訂正): without a reason the import is refused with
  one line per change; with one, the changes stay and their history rows read 「訂正: <reason>」, which
  the public value history shows (kpis.history).
- What staff entered in the portal (an actual, a note, an evidence, a mark override) is not removed
  unless the caller asked for it (``delete_missing``); the refusal, and the result when asked, list
  what goes.
- A municipality is identified by its code: a document that gives the code another name, prefecture or
  slug renames that municipality, which needs ``rename``; the rename is reported.
"""

from decimal import Decimal

from django.db.models import Max

from kpis import audit
from kpis.interchange.validation import PlanDocumentError
from kpis.models import IndicatorValue, PlanYear
from measures.models import MeasureMark
from plans.fiscal import label as fy_label
from plans.marks import final_mark
from plans.models import Municipality

# The fields of a value a change to which the import must account for, as staff call them.
VALUE_FIELDS = {
    "target_text": "目標",
    "target_value": "目標値",
    "actual_text": "実績",
    "actual_value": "実績値",
    "achievement_text": "達成度",
    "note": "備考",
    "evidence_url": "根拠資料URL",
    "evidence_file": "根拠資料ファイル",
    "override": "評価の上書き",
    "mark": "評価",
}
MARK_FIELDS = {"override": "取組の評価の上書き", "mark": "取組の評価"}
# Entered in the portal, not printed in a plan: removing one needs delete_missing.
ENTERED_FIELDS = ("actual_text", "note", "evidence_url", "evidence_file", "override")
MUNICIPALITY_FIELDS = {"name": "名称", "prefecture": "都道府県", "slug": "スラッグ", "name_en": "英語名"}
# A rename of these needs the explicit flag; the English name may be added or corrected freely.
IDENTITY_FIELDS = ("name", "prefecture", "slug")


class LockedYearChanges(PlanDocumentError):
    """The document would change a locked year, and no correction reason was given."""


class EnteredDataRemoval(PlanDocumentError):
    """The document would remove what staff entered in the portal, and delete_missing was not given."""


def locked_years(plan) -> set[int]:
    if plan is None:
        return set()
    return set(PlanYear.objects.filter(plan=plan, status=PlanYear.Status.LOCKED).values_list("fiscal_year", flat=True))


def plan_state(plan) -> dict[tuple, dict]:
    """Every value and measure mark of the plan by natural key, with the fields imports must account for.

    Keys: ("value", owner, indicator name, introducing revision key, fy) and ("mark", owner, None, None,
    fy), owner being 「取組 <measure key>」 or 「分類 <category path>」. Two queries.
    """
    if plan is None:
        return {}
    state = {}
    stored = [name for name in VALUE_FIELDS if name != "mark"]
    rows = IndicatorValue.objects.filter(indicator__plan=plan).values_list(
        "indicator__measure__key",
        "indicator__category__path",
        "indicator__name",
        "indicator__introduced_in__key",
        "fiscal_year",
        "computed",
        *stored,
    )
    for measure_key, path, name, introduced, fiscal_year, computed, *fields in rows:
        owner = f"取組 {measure_key}" if measure_key is not None else f"分類 {path}"
        values = dict(zip(stored, fields, strict=True))
        values["mark"] = final_mark(values["override"], computed)
        state[("value", owner, name, introduced, fiscal_year)] = values
    marks = MeasureMark.objects.filter(measure__plan=plan).values_list(
        "measure__key", "fiscal_year", "override", "computed"
    )
    for measure_key, fiscal_year, override, computed in marks:
        state[("mark", f"取組 {measure_key}", None, None, fiscal_year)] = {
            "override": override,
            "mark": final_mark(override, computed),
        }
    return state


def shown(value) -> str:
    if value is None or value == "":
        return "（空欄）"
    if isinstance(value, Decimal):
        value = format(value.normalize(), "f")
    return f"「{value}」"


def where(key: tuple) -> str:
    """取組 1-(1)-① / 出張申請窓口の開催回数 / 令和5年度 (2023)."""
    kind, owner, name, _, fiscal_year = key
    return " / ".join(part for part in (owner, name, fy_label(fiscal_year)) if part)


def changes(before: dict, after: dict):
    """(key, field, field label, old, new) per field that differs, in key order; a missing row is empty."""
    for key in sorted(set(before) | set(after), key=sort_key):
        old, new = before.get(key) or {}, after.get(key) or {}
        labels = VALUE_FIELDS if key[0] == "value" else MARK_FIELDS
        for name, label in labels.items():
            if (old.get(name) or None) != (new.get(name) or None):
                yield key, name, label, old.get(name), new.get(name)


def sort_key(key: tuple):
    kind, owner, name, introduced, fiscal_year = key
    return (owner, kind, name or "", introduced or "", fiscal_year)


def describe(key: tuple, label: str, old, new, row_deleted: bool) -> tuple[str, str]:
    return where(key), f"{label}: {shown(old)} → {shown(new)}" + ("（行ごと削除）" if row_deleted else "")


def locked_changes(before: dict, after: dict, locked: set[int]) -> list[tuple[str, str]]:
    """(where, what) per field the import changes in a locked year."""
    return [
        describe(key, label, old, new, key not in after)
        for key, _, label, old, new in changes(before, after)
        if key[4] in locked
    ]


def entered_removals(before: dict, after: dict, locked: set[int]) -> list[tuple[str, str]]:
    """(where, what) per entered field the import empties or deletes in a year not locked."""
    return [
        describe(key, label, old, new, key not in after)
        for key, name, label, old, new in changes(before, after)
        if key[4] not in locked and name in ENTERED_FIELDS and old and not new
    ]


def account_for(before: dict, after: dict, *, locked: set[int], correction_reason: str, delete_missing: bool):
    """(corrections, removals) the import makes, each as (where, what) lines; raise when not allowed.

    Changes to locked years need a correction reason (LockedYearChanges); removing what staff entered
    in a year not locked needs delete_missing (EnteredDataRemoval). One error lists both when both apply.
    """
    corrections = locked_changes(before, after, locked)
    removals = entered_removals(before, after, locked)
    errors = []
    if corrections and not correction_reason:
        years = "、".join(fy_label(fy) for fy in sorted(locked))
        errors += [
            (
                "$",
                f"確定（ロック）済みの年度（{years}）を変える変更が{len(corrections)}件あります。確定した年度は"
                "訂正としてのみ変更できます。--correction-reason で理由を付けて取り込むと、訂正として記録・公開されます",
            ),
            *corrections,
        ]
    if removals and not delete_missing:
        errors += [
            (
                "$",
                f"ポータルで入力された値（実績・備考・根拠資料・評価の上書き）を{len(removals)}件消す取込です。"
                "消してよい場合だけ --delete-missing を付けて取り込んでください",
            ),
            *removals,
        ]
    if errors:
        raise (LockedYearChanges if corrections and not correction_reason else EnteredDataRemoval)(errors)
    return corrections, removals


def history_marks() -> tuple[int, int]:
    """The newest history rows of values and measure marks now: corrections are tagged above them."""
    return tuple(
        model.history.aggregate(newest=Max("history_id"))["newest"] or 0 for model in (IndicatorValue, MeasureMark)
    )


def owned_ids(plan) -> tuple[set[int], set[int]]:
    """(indicator ids, measure ids) of the plan: the history of rows deleted since still names them."""
    if plan is None:
        return set(), set()
    return set(plan.indicators.values_list("pk", flat=True)), set(plan.measures.values_list("pk", flat=True))


def tag_corrections(locked: set[int], since: tuple[int, int], reason: str, owners: tuple[set[int], set[int]]):
    """Label the history rows this import wrote for locked years 「訂正: <reason>」: creations, changes and
    deletions alike (a value deleted with its indicator has no save() of its own to tag beforehand)."""
    label = audit.change_reason("correction", reason)
    indicator_ids, measure_ids = owners
    IndicatorValue.history.filter(
        history_id__gt=since[0], indicator_id__in=indicator_ids, fiscal_year__in=locked
    ).update(history_change_reason=label)
    MeasureMark.history.filter(history_id__gt=since[1], measure_id__in=measure_ids, fiscal_year__in=locked).update(
        history_change_reason=label
    )


def municipality_changes(data: dict, rename: bool) -> list[str]:
    """What the document changes of the municipality its code names; refused when it renames without ``rename``.

    The English name is changed only when the document gives one (a plan document may leave it out).
    """
    existing = Municipality.objects.filter(code=data["code"]).first()
    if existing is None:
        return []
    fields = [name for name in MUNICIPALITY_FIELDS if name in data and getattr(existing, name) != data[name]]
    renamed = [name for name in fields if name in IDENTITY_FIELDS]
    if renamed and not rename:
        wanted = "、".join(f"{MUNICIPALITY_FIELDS[name]} {shown(data[name])}" for name in renamed)
        raise PlanDocumentError(
            [
                (
                    "$.municipality",
                    f"団体コード {existing.code} は「{existing.prefecture}{existing.name}」（{existing.slug}）の"
                    f"コードです。この文書はそれを {wanted} に変えます。団体コードの誤りでないか確かめ、"
                    "名称などを変える場合だけ --rename-municipality を付けて取り込んでください",
                )
            ]
        )
    return [
        f"地方公共団体 {existing.code}: {MUNICIPALITY_FIELDS[name]} {shown(getattr(existing, name))} → {shown(data[name])}"
        for name in fields
    ]
