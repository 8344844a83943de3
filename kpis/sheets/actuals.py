"""Importing a filled-in actuals template: check every row, preview, then write through the entry service.

``check_actuals`` reads the file, applies the spreadsheet-only checks (columns, identifiers, formulas),
maps the rows to ``kpis.entry.ActualEntry`` and runs ``validate_entries`` (scope, unknown KPIs, year,
locks, numbers, duplicates), adding the sheet, row and column to each error. ``import_actuals`` writes
only when there is no error at all, through ``save_entries`` (one transaction, audit history, marks),
whose own run of the same checks is then the only one.

Plausibility warnings (kpis.plausibility) are the rows' ``warnings``, not errors: the admin's preview
shows them and its confirmation accepts them; the command accepts them only with --accept-warnings.
Accepted values are saved as confirmed against their warnings.
"""

from collections import Counter
from dataclasses import dataclass, field

from kpis.entry import (
    ENTERED_FIELDS,
    ActualEntry,
    Entered,
    EntryError,
    EntryValidationError,
    SaveResult,
    merge,
    save_entries,
    validate_entries,
)
from kpis.limits import cell_length_problem, text_problem
from kpis.models import Indicator, IndicatorValue
from kpis.sheets.columns import BY_KEY, FIELD_COLUMNS, check_key
from kpis.sheets.reader import ParsedSheet, SheetRow, read_actuals
from plans.access import can_import, can_view_plan
from plans.fiscal import label as fy_label
from plans.models import Plan

NEW, CHANGED, UNCHANGED, INVALID = "new", "changed", "unchanged", "invalid"
# Cells longer than their column holds (the others: kpis.limits.max_cell_characters, for a TextField).
CELL_LENGTHS = {"evidence_url": IndicatorValue._meta.get_field("evidence_url").max_length}
STATE_LABELS = {NEW: "新規", CHANGED: "変更", UNCHANGED: "変更なし", INVALID: "エラー"}
ENTRY_KEYS = ("actual", "note", "evidence_url")


@dataclass(frozen=True)
class MeasureLabel:
    key: str
    code: str
    name: str


@dataclass(frozen=True)
class IndicatorLabel:
    """What the preview and the command show of a row's KPI."""

    pk: int
    name: str
    measure: MeasureLabel | None


# A row's current value for the year, as the preview shows it and ``RowCheck.state`` compares it.
ValueBefore = Entered


@dataclass
class RowCheck:
    row: SheetRow
    entry: ActualEntry | None = None
    indicator: IndicatorLabel | None = None
    before: ValueBefore | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # plausibility: asked, not refused

    @property
    def stored(self) -> Entered:
        """What the import writes: the fields changed since the export, the current value of the others."""
        return merge(self.entry, Entered.of(self.before))[0]

    @property
    def state(self) -> str:
        """As save_entries counts: new only when the KPI has no value row for the year at all.

        A row that exists with only a target and gets an actual is a change (the entry screen says 変更 too).
        """
        if self.errors:
            return INVALID
        if self.stored == Entered.of(self.before):
            return UNCHANGED
        return NEW if self.before is None else CHANGED


@dataclass
class ActualsCheck:
    fiscal_year: int | None  # the template's year (every exported row carries it, signed by its 照合キー)
    sheet: ParsedSheet
    plan: Plan | None = None
    rows: list[RowCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    saved: SaveResult | None = None
    accept_warnings: bool = False  # the user has seen the plausibility warnings and keeps the values

    @property
    def errors(self) -> list[str]:
        return self.problems + [message for row in self.rows for message in row.errors]

    @property
    def warnings(self) -> list[str]:
        return [message for row in self.rows for message in row.warnings]

    @property
    def ok(self) -> bool:
        """Nothing wrong, and no warning left unaccepted: the rows may be written."""
        return not self.errors and (self.accept_warnings or not self.warnings)

    @property
    def entries(self) -> list[ActualEntry]:
        return [row.entry for row in self.rows if row.entry is not None]

    def counts(self) -> dict[str, int]:
        counted = Counter(row.state for row in self.rows)
        return {state: counted.get(state, 0) for state in (NEW, CHANGED, UNCHANGED, INVALID)}


def where(sheet: ParsedSheet, row: SheetRow, key: str) -> str:
    """シート 実績入力 12行目 F列（実績）."""
    return f"シート {sheet.sheet} {row.number}行目 {sheet.letters[key]}列（{BY_KEY[key].header}）"


def check_actuals(
    data: bytes, *, user, fiscal_year: int | None = None, filename: str = "", defer_entry_checks: bool = False
) -> ActualsCheck:
    return check_sheet(
        read_actuals(data, filename), user=user, fiscal_year=fiscal_year, defer_entry_checks=defer_entry_checks
    )


def check_sheet(
    sheet: ParsedSheet, *, user, fiscal_year: int | None = None, defer_entry_checks: bool = False
) -> ActualsCheck:
    """Every problem of a read sheet, and per row the entry and its current value (for the preview).

    fiscal_year: None takes the template's year (its rows' 年度). A year given that is not the
    template's is one problem for the file, not one per row.

    defer_entry_checks: for a caller that saves at once. When the sheet's own checks pass, the entry
    service's are left to save_entries, which runs them inside its transaction (save_checked attaches
    what they find to the rows); when they fail, both run, so one report names every error.
    """
    result = ActualsCheck(fiscal_year=fiscal_year, sheet=sheet, problems=list(sheet.problems))
    if result.problems:
        return result
    result.rows = [check_row(sheet, row) for row in sheet.rows if not blank(row)]
    if not result.rows:
        result.problems.append(f"シート {sheet.sheet}: 取り込む行がありません")
        return result
    template_year = sheet_year(result.rows)
    if fiscal_year is None:
        result.fiscal_year = template_year
    elif template_year is not None and template_year != fiscal_year:
        result.rows = []
        result.problems.append(
            f"シート {sheet.sheet}: このファイルは{fy_label(template_year)}の実績入力テンプレートで、"
            f"指定した{fy_label(fiscal_year)}のものではありません。"
            f"{fy_label(fiscal_year)}のテンプレートを出力して入力してください"
        )
        return result
    plan_ids = Counter(
        Indicator.objects.filter(pk__in=[e.indicator_id for e in result.entries]).values_list("plan_id", flat=True)
    )
    if not plan_ids:
        if not any(row.errors for row in result.rows):
            result.problems.append(
                f"シート {sheet.sheet}: どの計画の指標も見つかりません。テンプレートを出力し直してください"
            )
        return result
    result.plan = Plan.objects.select_related("municipality").get(pk=plan_ids.most_common(1)[0][0])
    if not can_import(user, result.plan):
        result.rows = []  # nothing about the rows of a plan the user may not import into
        named = f"「{result.plan}」" if can_view_plan(user, result.plan) else "このファイルの指標"
        result.problems.append(f"{named}の実績を取り込む権限がありません")
        return result
    if not defer_entry_checks or any(row.errors for row in result.rows):
        attach_entry_errors(result, validate_entries(user, result.plan, result.fiscal_year, result.entries))
    attach_before(result)
    return result


def sheet_year(rows: list["RowCheck"]) -> int | None:
    """The year of the template: the 年度 of most of its rows (a template is exported for one year; a row
    edited to another year is then that row's error)."""
    years = Counter(row.entry.fiscal_year for row in rows if row.entry is not None)
    return years.most_common(1)[0][0] if years else None


def blank(row: SheetRow) -> bool:
    return not any(row.text(key).strip() for key in ("indicator_id", "fiscal_year", *ENTRY_KEYS))


def check_row(sheet: ParsedSheet, row: SheetRow) -> RowCheck:
    """The spreadsheet-only checks of one row; an entry for the entry service when they pass."""
    checked = RowCheck(row)
    for key, found in row.cells.items():
        if found.formula and BY_KEY[key].read:
            checked.errors.append(
                f"{where(sheet, row, key)}: 「{found.text}」は数式です。数式ではなく値を入力してください"
            )
        problem = text_problem(found.text) or cell_length_problem(found.text, CELL_LENGTHS.get(key))
        if problem:
            checked.errors.append(f"{where(sheet, row, key)}: {problem}")
    if checked.errors:
        return checked
    id_text, fy_text, key_text = (row.text(k).strip() for k in ("indicator_id", "fiscal_year", "check"))
    if not id_text:
        checked.errors.append(
            f"{where(sheet, row, 'indicator_id')}: 指標IDがありません。行を追加せず、出力されたテンプレートの行に入力してください"
        )
        return checked
    if not (id_text.isdigit() and fy_text.isdigit()) or check_key(id_text, fy_text) != key_text:
        checked.errors.append(
            f"{where(sheet, row, 'check')}: 「{key_text}」は指標ID「{id_text}」・年度「{fy_text}」と一致しません。"
            "識別子の列（指標ID・年度・照合キー）は変更しないでください（必要ならテンプレートを出力し直してください）"
        )
        return checked
    checked.entry = ActualEntry(
        indicator_id=int(id_text),
        fiscal_year=int(fy_text),
        actual_text=row.text("actual"),
        note=row.text("note"),
        evidence_url=row.text("evidence_url").strip(),
        loaded=Entered(row.text("loaded_actual"), row.text("loaded_note"), row.text("loaded_evidence_url")),
    )
    return checked


# What was found, by the entry service's error code (its messages say what is expected).
FOUND = {
    "not_numeric": "は数値ではありません",
    "formula": "は数式の形をしています",
    "too_long": "は長すぎます",
    "bad_url": "はURLではありません",
    "unknown": "は登録されていない指標IDです",
    "other_plan": "は別の計画の指標IDです",
    "duplicate": "は重複しています",
    "out_of_scope": "は担当外の指標です",
    "wrong_year": "は対象の年度ではありません",
    "out_of_period": "は計画期間外の年度です",
    "locked": "は入力できない年度です",
    "too_large": "は大きすぎます",
    "too_precise": "は小数点以下の桁数が多すぎます",
    "conflict": "は取り込みません",
    "implausible": "は確認が必要です",
}


def entry_message(sheet: ParsedSheet, row: SheetRow, error: EntryError) -> str:
    """シート 実績入力 12行目 F列（実績）: 「abc」は数値ではありません。数値で入力してください（単位: 件）."""
    found = FOUND.get(error.code, "は受け付けられません")
    key = FIELD_COLUMNS.get(error.field, "indicator_id")
    if error.code == "implausible":
        # シート 実績入力 4行目 F列（実績）: 「500」は確認が必要です（前年度の実績「16」の10倍を超えています）
        return f"{where(sheet, row, key)}: 「{error.value}」{found}（{error.warning}）"
    if error.code == "conflict":
        # シート 実績入力 4行目 F列（実績）: 「250」は取り込みません。テンプレートの出力後に他の利用者が実績を「300」に変更しました。…
        theirs = f"「{error.current}」" if error.current else "空欄"
        return (
            f"{where(sheet, row, key)}: 「{error.value}」{found}。テンプレートの出力後に他の利用者が"
            f"{ENTERED_FIELDS[error.field]}を{theirs}に変更しました。どちらを残すか確かめ、"
            "テンプレートを出力し直して入力してください"
        )
    return f"{where(sheet, row, key)}: 「{error.value}」{found}。{error.message}"


def attach_entry_errors(result: ActualsCheck, errors: list[EntryError]) -> None:
    """The entry service's errors on their rows; an implausible actual is a warning of its row."""
    with_entries = [row for row in result.rows if row.entry is not None]
    for error in errors:
        row = with_entries[error.index]
        messages = row.warnings if error.code == "implausible" else row.errors
        messages.append(entry_message(result.sheet, row.row, error))


def attach_before(result: ActualsCheck) -> None:
    """The current values and KPIs, for the preview (two queries)."""
    ids = [e.indicator_id for e in result.entries]
    # Plain rows, not model instances: building 10,000 of each cost a fifth of an import.
    before = {
        indicator_id: ValueBefore(*shown)
        for indicator_id, *shown in IndicatorValue.objects.filter(
            indicator_id__in=ids, fiscal_year=result.fiscal_year
        ).values_list("indicator_id", "actual_text", "note", "evidence_url")
    }
    indicators = {
        pk: IndicatorLabel(pk, name, MeasureLabel(key, code, measure_name) if key is not None else None)
        for pk, name, key, code, measure_name in Indicator.objects.filter(pk__in=ids).values_list(
            "pk", "name", "measure__key", "measure__code", "measure__name"
        )
    }
    for row in result.rows:
        if row.entry is not None:
            row.before = before.get(row.entry.indicator_id)
            row.indicator = indicators.get(row.entry.indicator_id)


def import_actuals(
    *,
    data: bytes,
    user,
    fiscal_year: int | None = None,
    filename: str = "",
    dry_run: bool = False,
    accept_warnings: bool = False,
) -> ActualsCheck:
    """Check the file; unless dry_run or anything is wrong, write every row in one transaction.

    fiscal_year: None takes the template's year; a given year is checked against it.
    accept_warnings: write values with plausibility warnings too (confirmed); else they stop the import.

    Saving a sheet without errors of its own, the entry checks run once, in save_entries' transaction:
    a second pass before it found nothing more and cost a quarter of a second per 10,000 rows.
    """
    result = check_actuals(data, user=user, fiscal_year=fiscal_year, filename=filename, defer_entry_checks=not dry_run)
    result.accept_warnings = accept_warnings
    if not dry_run:
        save_checked(result, user=user, filename=filename)
    return result


def save_checked(result: ActualsCheck, *, user, filename: str = "") -> None:
    """Write a check without errors through save_entries (validated again inside its transaction).

    With ``accept_warnings`` the values with plausibility warnings are saved as confirmed.
    """
    if not result.ok:
        return
    for entry in result.entries:
        entry.warnings_confirmed = result.accept_warnings
    reason = f"表計算ファイル {filename}" if filename else "表計算ファイル"
    try:
        result.saved = save_entries(
            user, result.plan, result.fiscal_year, result.entries, reason=reason, source="import"
        )
    except EntryValidationError as error:  # the data changed since the check (a year was locked meanwhile)
        attach_entry_errors(result, error.errors)
