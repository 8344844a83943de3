"""Entering yearly actuals: the one service behind the entry screen, the admin and spreadsheet imports.

``validate_entries`` checks every entry and returns all errors at once (index, field, value, message in
Japanese saying what was expected); ``save_entries`` validates first, writes nothing if anything is wrong,
and otherwise writes all entries in one transaction with an audit record, recomputes the marks and
invalidates the public page cache.

Lost updates: an entry may carry the value as its user loaded it (``ActualEntry.loaded``: the entry
screen's hidden fields, the admin form's initial values, the template's hidden 出力時 columns). Then only
the fields the user changed are written, a colleague's change since then to any other field is kept, and a
field both changed differently is a conflict (error code "conflict", naming the current value): nothing is
written until the user chooses.

Plausibility (kpis.plausibility): a changed numeric actual that looks wrong (negative, a percentage over
100, a running total going down, ten times or a tenth of last year's) is an error with code
"implausible" until the entry says the user confirmed it (``ActualEntry.warnings_confirmed``); the
value is then saved with the warnings it was confirmed against (``IndicatorValue.confirmed_warning``).
"""

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from kpis import audit
from kpis.access import indicator_scope
from kpis.engine import NOT_APPLICABLE_TEXTS
from kpis.formulas import looks_like_formula
from kpis.models import Indicator, IndicatorValue
from kpis.plausibility import plausibility_warnings, warning_text
from kpis.services import recompute_plan_marks, update_rows
from kpis.visibility import PUBLIC_YEAR_STATUSES
from plans.fiscal import label as fy_label

MAX_TEXT = 200
NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)(.*)$")
URL = URLValidator(schemes=["http", "https"])
WRITTEN_FIELDS = ["actual_text", "actual_value", "note", "evidence_url", "confirmed_warning"]
ENTERED_FIELDS = {"actual_text": "実績", "note": "備考", "evidence_url": "根拠資料URL"}  # what a user types
# The stored number's limits (IndicatorValue.actual_value): beyond them a value would overflow or be rounded.
_ACTUAL_VALUE = IndicatorValue._meta.get_field("actual_value")
MAX_DECIMALS = _ACTUAL_VALUE.decimal_places
MAX_INTEGER_DIGITS = _ACTUAL_VALUE.max_digits - _ACTUAL_VALUE.decimal_places
BATCH = 500  # rows per INSERT/UPDATE (Django lowers it further on SQLite to fit its parameter limit)


@dataclass(frozen=True)
class Entered:
    """The fields a user enters for a value (actual, note, evidence URL), outer spaces removed as stored."""

    actual_text: str = ""
    note: str = ""
    evidence_url: str = ""

    @classmethod
    def of(cls, row) -> "Entered":
        """From a value row, an entry or a loaded state; None (no row yet) is all empty."""
        if row is None:
            return cls()
        return cls(*((getattr(row, name) or "").strip() for name in ENTERED_FIELDS))


@dataclass
class ActualEntry:
    indicator_id: int
    fiscal_year: int
    actual_text: str
    note: str = ""
    evidence_url: str = ""
    # The value as the user loaded it; None: write every field as given (a caller with nothing loaded).
    loaded: Entered | None = None
    # The user saw the actual's plausibility warnings and keeps the value (kpis.plausibility).
    warnings_confirmed: bool = False


@dataclass
class EntryError:
    index: int  # position of the entry in the list given
    field: str
    value: str
    message: str
    # A stable identifier of the problem (ERROR_CODES) for callers that word it their own way; not part of
    # equality, so an error compares by what the user is told.
    code: str = dataclasses.field(default="", compare=False)
    # A conflict's current value of the field (what a colleague saved since the user loaded it).
    current: str = dataclasses.field(default="", compare=False)
    # An implausible actual's warnings (kpis.plausibility), as one line.
    warning: str = dataclasses.field(default="", compare=False)


# The problems validate_entries reports, by code.
ERROR_CODES = {
    "unknown": "no such KPI",
    "other_plan": "a KPI of another plan",
    "duplicate": "the same KPI twice",
    "wrong_year": "not the fiscal year being entered",
    "out_of_period": "a year outside the plan period",
    "out_of_scope": "a KPI the user may not update",
    "locked": "the year or the department's report does not accept changes",
    "formula": "text a spreadsheet would run as a formula",
    "too_long": f"more than {MAX_TEXT} characters",
    "not_numeric": "not a number (with the KPI's unit) for a numeric KPI",
    "too_large": f"a number with more than {MAX_INTEGER_DIGITS} digits before the decimal point",
    "too_precise": f"a number with more than {MAX_DECIMALS} decimals (it would be rounded)",
    "bad_url": "not an http(s) URL",
    "conflict": "a field someone else changed since the user loaded it",
    "implausible": "an actual that looks wrong (kpis.plausibility) and that the user has not confirmed",
}


@dataclass
class SaveResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


class EntryValidationError(Exception):
    def __init__(self, errors: list[EntryError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.index}: {e.field}: {e.message}" for e in errors))


def normalize(text: str) -> str:
    """Full-width digits and signs to ASCII (１２，３４５ → 12,345), outer spaces removed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_actual(indicator: Indicator, text: str) -> tuple[Decimal | None, bool]:
    """(value, ok): the number in an actual as typed, allowing thousands separators and the KPI's unit.

    Empty and dash (－, not applicable) texts have no value and are fine; for a numeric KPI anything else
    must be a number optionally followed by (the start of) its unit, e.g. 「12回」 for 回/年 or 「75.4％」.
    """
    stripped = text.strip()
    if not stripped or stripped in NOT_APPLICABLE_TEXTS:
        return None, True
    plain = normalize(stripped).replace(",", "")
    match = NUMBER.match(plain)
    if match is None:
        return None, indicator.kind != Indicator.Kind.NUMERIC
    number, rest = match.group(1), match.group(2).strip()
    unit = normalize(indicator.unit)
    if rest and not (unit.startswith(rest) or (rest == "%" and "%" in unit)):
        return None, indicator.kind != Indicator.Kind.NUMERIC
    try:
        return Decimal(number), True
    except InvalidOperation:  # pragma: no cover - the pattern only lets valid decimals through
        return None, indicator.kind != Indicator.Kind.NUMERIC


def is_formula_entry(text: str) -> bool:
    """Typed text that entry refuses: what a spreadsheet would run as a formula (kpis.formulas), once
    normalised (full-width ＝ is =). A negative number or a dash is a value, not a formula."""
    plain = normalize(text)
    if plain in NOT_APPLICABLE_TEXTS or (plain.startswith("-") and NUMBER.match(plain.replace(",", ""))):
        return False
    return looks_like_formula(plain)


def unit_hint(indicator: Indicator) -> str:
    return f"（単位: {indicator.unit}）" if indicator.unit else ""


def number_problem(indicator: Indicator, text: str) -> tuple[str, str] | None:
    """(code, message) when the actual is not a number the KPI can store, else None.

    Refused: no number (with the KPI's unit) for a numeric KPI, and any number the stored field would
    overflow or round (more than MAX_INTEGER_DIGITS digits before the point, or MAX_DECIMALS after it).
    """
    value, ok = parse_actual(indicator, text)
    if not ok:
        return "not_numeric", f"数値で入力してください{unit_hint(indicator)}"
    if value is None:
        return None
    _, digits, exponent = value.as_tuple()
    written = "".join(map(str, digits))
    if exponent < 0:
        written = written.rjust(-exponent, "0")
        integer, fraction = written[:exponent], written[exponent:]
    else:
        integer, fraction = written + "0" * exponent, ""
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        return "too_large", f"数値が大きすぎます（整数部分は{MAX_INTEGER_DIGITS}桁まで）"
    if len(fraction.rstrip("0")) > MAX_DECIMALS:
        return "too_precise", f"小数点以下は{MAX_DECIMALS}桁までで入力してください（それより細かい値は保存できません）"
    return None


def merge_fields(typed: dict, loaded: dict | None, current: dict) -> tuple[dict, list[str]]:
    """(what to store, the fields in conflict), field by field, for a user's input over the current values.

    Without a loaded state the input is stored as given. With one, a field the user left as loaded keeps
    its current value (a colleague's change since is not reverted), a field the user changed is stored,
    and a field the user changed that a colleague changed too, to something else, is a conflict.
    Every write path of a value goes through here: entries (``merge``) and the admin's other fields.
    """
    if loaded is None:
        return dict(typed), []
    stored, conflicts = {}, []
    for name, mine in typed.items():
        was, now = loaded[name], current[name]
        stored[name] = now if mine == was else mine
        if mine != was and now not in (was, mine):
            conflicts.append(name)
    return stored, conflicts


def merge(entry: ActualEntry, current: Entered) -> tuple[Entered, list[str]]:
    """``merge_fields`` for an entry's actual, note and evidence URL (outer spaces aside)."""
    loaded = None if entry.loaded is None else vars(Entered.of(entry.loaded))
    stored, conflicts = merge_fields(vars(Entered.of(entry)), loaded, vars(current))
    return Entered(**stored), conflicts


def conflict_message(label: str, current) -> str:
    """読み込んだ後に他の利用者が実績を「300」に変更しました."""
    shown = f"「{current}」" if current not in ("", None) else "空欄"
    return f"読み込んだ後に他の利用者が{label}を{shown}に変更しました"


def validate_entries(user, plan, fiscal_year: int, entries: list[ActualEntry]) -> list[EntryError]:
    """Every problem with the entries, in entry order; an empty list means save_entries will accept them
    (unless a colleague saves in between: save_entries checks conflicts again on the locked rows).

    Runs in a fixed number of queries however many entries there are (one more when entries carry what
    their user loaded: the current values, for conflicts).
    """
    current = None
    if any(entry.loaded is not None for entry in entries):
        current = current_values(entries, fiscal_year)
    return _validate(user, plan, fiscal_year, entries, current)[0]


def implausible_message(text: str) -> str:
    """The "implausible" error: the warnings, and what the user may do."""
    return f"{text}。値を確かめて、正しければ確認のうえ保存してください"


@dataclass
class YearActuals:
    """The stored actuals of the entries' KPIs this year and last year (one query), for the plausibility
    checks: last year's is the comparison, this year's tells a changed actual from one left as it is."""

    this_year: dict[int, str]
    last_year: dict[int, tuple[Decimal | None, str]]

    @classmethod
    def of(cls, ids, fiscal_year: int) -> "YearActuals":
        this_year, last_year = {}, {}
        rows = IndicatorValue.objects.filter(indicator_id__in=ids, fiscal_year__in=[fiscal_year - 1, fiscal_year])
        for indicator_id, year, text, value in rows.values_list(
            "indicator_id", "fiscal_year", "actual_text", "actual_value"
        ):
            if year == fiscal_year:
                this_year[indicator_id] = text.strip()
            else:
                last_year[indicator_id] = (value, text)
        return cls(this_year, last_year)

    def warnings(self, indicator: Indicator, text: str) -> str:
        """The warnings of a changed actual (text as typed), as one line; "" for none or an unchanged one."""
        if text.strip() == self.this_year.get(indicator.pk, ""):
            return ""  # as stored: it was checked (and confirmed) when it was saved
        value, ok = parse_actual(indicator, text)
        previous, previous_text = self.last_year.get(indicator.pk, (None, ""))
        return warning_text(plausibility_warnings(indicator, value if ok else None, previous, previous_text))


def current_values(entries: list[ActualEntry], fiscal_year: int) -> dict[int, Entered]:
    """The entered fields of the entries' values now, by indicator id (one query)."""
    ids = [e.indicator_id for e in entries if isinstance(e.indicator_id, int)]
    rows = IndicatorValue.objects.filter(indicator_id__in=ids, fiscal_year=fiscal_year)
    return {pk: Entered(*fields) for pk, *fields in rows.values_list("indicator_id", *ENTERED_FIELDS)}


def _validate(user, plan, fiscal_year: int, entries: list[ActualEntry], current: dict[int, Entered] | None):
    """(errors, the entries' indicators by id, the plausibility warnings by entry index): save_entries
    reuses the indicators and warnings found here.

    ``current``: the values' entered fields now, by indicator id, for entries with a loaded state.
    """
    from kpis.workflow import entry_blockers

    errors: list[EntryError] = []
    ids = {e.indicator_id for e in entries if isinstance(e.indicator_id, int)}
    # filter, not in_bulk: in_bulk splits long id lists into batches on SQLite, one query each.
    indicators = {indicator.pk: indicator for indicator in Indicator.objects.filter(pk__in=ids)}
    actuals = YearActuals.of(ids, fiscal_year)
    warnings: dict[int, str] = {}  # by entry index: the warnings a confirmed actual is saved with
    updatable = _updatable_indicator_ids(user, ids)
    year_blocker = None if not plan.accepts_fiscal_year(fiscal_year) else entry_blockers(user, plan, fiscal_year)
    seen: set[int] = set()
    for index, entry in enumerate(entries):
        indicator = indicators.get(entry.indicator_id)
        error = _collector(errors, index)
        if indicator is None:
            error("unknown", "indicator_id", entry.indicator_id, "指標が見つかりません（指標IDを確認してください）")
            continue
        if indicator.plan_id != plan.pk:
            error(
                "other_plan",
                "indicator_id",
                entry.indicator_id,
                f"指標「{indicator.name}」はこの計画の指標ではありません",
            )
            continue
        if entry.indicator_id in seen:
            error(
                "duplicate",
                "indicator_id",
                entry.indicator_id,
                f"指標「{indicator.name}」が重複しています（1行にまとめてください）",
            )
            continue
        seen.add(entry.indicator_id)
        if entry.fiscal_year != fiscal_year:
            error("wrong_year", "fiscal_year", entry.fiscal_year, f"{fy_label(fiscal_year)}の実績を入力してください")
            continue
        if not plan.accepts_fiscal_year(fiscal_year):
            error(
                "out_of_period",
                "fiscal_year",
                fiscal_year,
                f"計画期間（{fy_label(plan.period_start_fy)}〜{fy_label(plan.period_end_fy)}）の年度を入力してください",
            )
            continue
        if indicator.pk not in updatable:
            error(
                "out_of_scope",
                "indicator_id",
                entry.indicator_id,
                f"指標「{indicator.name}」を更新する権限がありません（担当課の指標のみ）",
            )
            continue
        blocker = year_blocker(indicator) if year_blocker else None
        if blocker:
            error("locked", "fiscal_year", fiscal_year, blocker)
            continue
        now = (current or {}).get(entry.indicator_id, Entered())
        _, conflicts = merge(entry, now)
        changed = _changed_fields(entry)
        field_errors = _field_errors(index, indicator, entry, changed=changed)
        errors += field_errors
        if "actual_text" in changed and not any(e.field == "actual_text" for e in field_errors):
            warnings[index] = actuals.warnings(indicator, entry.actual_text or "")
            if warnings[index] and not entry.warnings_confirmed:
                message = implausible_message(warnings[index])
                errors.append(
                    EntryError(index, "actual_text", entry.actual_text, message, "implausible", warning=warnings[index])
                )
        for name in conflicts:
            theirs = getattr(now, name)
            message = conflict_message(ENTERED_FIELDS[name], theirs)
            errors.append(EntryError(index, name, getattr(entry, name), message, "conflict", current=theirs))
    return errors, indicators, warnings


def _changed_fields(entry: ActualEntry) -> set[str]:
    """The fields the user typed anew: all of them when nothing was loaded."""
    if entry.loaded is None:
        return set(ENTERED_FIELDS)
    typed, loaded = Entered.of(entry), Entered.of(entry.loaded)
    return {name for name in ENTERED_FIELDS if getattr(typed, name) != getattr(loaded, name)}


def _collector(errors: list[EntryError], index: int):
    def error(code: str, field: str, value, message: str) -> None:
        errors.append(EntryError(index, field, str(value), message, code))

    return error


def _updatable_indicator_ids(user, ids) -> set[int]:
    return set(Indicator.objects.filter(indicator_scope(user), pk__in=ids).values_list("pk", flat=True))


def _field_errors(index: int, indicator: Indicator, entry: ActualEntry, changed: set[str]) -> list[EntryError]:
    """The problems of the fields the user changed (a field left as loaded is not written, so not checked)."""
    errors = []
    for field in [name for name in ("actual_text", "note") if name in changed]:
        text = getattr(entry, field) or ""
        if is_formula_entry(text):
            errors.append(
                EntryError(
                    index, field, text, "「=」「+」「-」「@」で始まる値は数式とみなされるため入力できません", "formula"
                )
            )
    if "actual_text" in changed and len(entry.actual_text or "") > MAX_TEXT:
        errors.append(
            EntryError(index, "actual_text", entry.actual_text, f"{MAX_TEXT}文字以内で入力してください", "too_long")
        )
    problem = number_problem(indicator, entry.actual_text or "") if "actual_text" in changed else None
    if problem and not any(e.field == "actual_text" for e in errors):
        code, message = problem
        errors.append(EntryError(index, "actual_text", entry.actual_text, message, code))
    if entry.evidence_url and "evidence_url" in changed:
        try:
            URL(entry.evidence_url)
        except ValidationError:
            errors.append(
                EntryError(
                    index,
                    "evidence_url",
                    entry.evidence_url,
                    "http:// または https:// で始まるURLを入力してください",
                    "bad_url",
                )
            )
    return errors


@transaction.atomic
def save_entries(user, plan, fiscal_year: int, entries: list[ActualEntry], *, reason: str = "", source: str = "entry"):
    """Validate, then write every entry in one transaction; raise EntryValidationError and write nothing if invalid.

    New and changed values are written in bulk, each with one history row tagged like a save() would be
    (audit.record: user and "<source>: <reason>"); unchanged entries are not written and leave no history.
    """
    # The rows first, locked: the conflict check then compares with what no one can change before we write.
    existing = {
        v.indicator_id: v
        for v in IndicatorValue.objects.select_for_update().filter(
            indicator_id__in=[e.indicator_id for e in entries if isinstance(e.indicator_id, int)],
            fiscal_year=fiscal_year,
        )
    }
    current = {pk: Entered.of(row) for pk, row in existing.items()}
    errors, indicators, warnings = _validate(user, plan, fiscal_year, entries, current)
    if errors:
        raise EntryValidationError(errors)
    result = SaveResult()
    new_rows, changed_rows = [], []
    for index, entry in enumerate(entries):
        stored, _ = merge(entry, current.get(entry.indicator_id, Entered()))
        text, note, url = stored.actual_text, stored.note, stored.evidence_url
        row = existing.get(entry.indicator_id)
        if row is not None and text == row.actual_text.strip():
            value = row.actual_value  # an actual left as it is keeps its number (a printed one may not parse)
            confirmed_warning = row.confirmed_warning  # and the warnings it was confirmed against
        else:
            value, _ = parse_actual(indicators[entry.indicator_id], text)
            confirmed_warning = warnings.get(index, "")  # validated: confirmed, or there are none
        if row is None:
            if not (text or note or url):
                result.unchanged += 1
                continue
            row = IndicatorValue(indicator_id=entry.indicator_id, fiscal_year=fiscal_year)
            new_rows.append(row)
        elif (row.actual_text, row.actual_value, row.note, row.evidence_url, row.confirmed_warning) == (
            text,
            value,
            note,
            url,
            confirmed_warning,
        ):
            result.unchanged += 1
            continue
        else:
            changed_rows.append(row)
        row.actual_text, row.actual_value, row.note, row.evidence_url = text, value, note, url
        row.confirmed_warning = confirmed_warning
        audit.record(row, user=user, source=source, reason=reason)
    result.created, result.changed = len(new_rows), len(changed_rows)
    # Creations first: the history of each value then reads in the order a row-by-row save would give.
    if new_rows:
        bulk_create_with_history(new_rows, IndicatorValue, batch_size=BATCH)
    if changed_rows:
        # What simple-history's bulk_update_with_history does, with a faster UPDATE than bulk_update's.
        update_rows(changed_rows, WRITTEN_FIELDS)
        IndicatorValue.history.bulk_history_create(changed_rows, update=True, batch_size=BATCH)
    if result.created or result.changed:
        # A year not yet published shows neither actuals nor marks (kpis/visibility.py), so saving
        # into it leaves every cached public page valid; recompute bumps the municipality otherwise.
        from kpis.workflow import year_status  # kpis.workflow imports this module

        recompute_plan_marks(plan, bump=year_status(plan, fiscal_year) in PUBLIC_YEAR_STATUSES)
    return result
