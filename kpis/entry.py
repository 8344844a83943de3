"""Entering yearly actuals: the one service behind the entry screen, the admin and spreadsheet imports.

``validate_entries`` checks every entry and returns all errors at once (index, field, value, message in
Japanese saying what was expected); ``save_entries`` validates first, writes nothing if anything is wrong,
and otherwise writes all entries in one transaction with an audit record, recomputes the marks and
invalidates the public page cache.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from dxportal.public_cache import bump_generation
from kpis import audit
from kpis.engine import NOT_APPLICABLE_TEXTS
from kpis.models import Indicator, IndicatorValue
from kpis.services import recompute_plan_marks
from plans.fiscal import label as fy_label

MAX_TEXT = 200
NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)(.*)$")
URL = URLValidator(schemes=["http", "https"])


@dataclass
class ActualEntry:
    indicator_id: int
    fiscal_year: int
    actual_text: str
    note: str = ""
    evidence_url: str = ""


@dataclass
class EntryError:
    index: int  # position of the entry in the list given
    field: str
    value: str
    message: str


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


def looks_like_formula(text: str) -> bool:
    """Text a spreadsheet would run as a formula (=, +, @, or - not starting a number or a lone dash)."""
    plain = normalize(text)
    if not plain or plain in NOT_APPLICABLE_TEXTS:
        return False
    if plain.startswith(("=", "+", "@")):
        return True
    return plain.startswith("-") and NUMBER.match(plain.replace(",", "")) is None


def unit_hint(indicator: Indicator) -> str:
    return f"（単位: {indicator.unit}）" if indicator.unit else ""


def validate_entries(user, plan, fiscal_year: int, entries: list[ActualEntry]) -> list[EntryError]:
    """Every problem with the entries, in entry order; an empty list means save_entries will accept them."""
    from kpis.workflow import entry_blockers

    errors: list[EntryError] = []
    ids = {e.indicator_id for e in entries if isinstance(e.indicator_id, int)}
    indicators = Indicator.objects.in_bulk(ids)
    updatable = _updatable_indicator_ids(user, ids)
    year_blocker = None if not plan.accepts_fiscal_year(fiscal_year) else entry_blockers(user, plan, fiscal_year)
    seen: set[int] = set()
    for index, entry in enumerate(entries):
        indicator = indicators.get(entry.indicator_id)
        error = _collector(errors, index)
        if indicator is None:
            error("indicator_id", entry.indicator_id, "指標が見つかりません（指標IDを確認してください）")
            continue
        if indicator.plan_id != plan.pk:
            error("indicator_id", entry.indicator_id, f"指標「{indicator.name}」はこの計画の指標ではありません")
            continue
        if entry.indicator_id in seen:
            error(
                "indicator_id", entry.indicator_id, f"指標「{indicator.name}」が重複しています（1行にまとめてください）"
            )
            continue
        seen.add(entry.indicator_id)
        if entry.fiscal_year != fiscal_year:
            error("fiscal_year", entry.fiscal_year, f"{fy_label(fiscal_year)}の実績を入力してください")
            continue
        if not plan.accepts_fiscal_year(fiscal_year):
            error(
                "fiscal_year",
                fiscal_year,
                f"計画期間（{fy_label(plan.period_start_fy)}〜{fy_label(plan.period_end_fy)}）の年度を入力してください",
            )
            continue
        if indicator.pk not in updatable:
            error(
                "indicator_id",
                entry.indicator_id,
                f"指標「{indicator.name}」を更新する権限がありません（担当課の指標のみ）",
            )
            continue
        blocker = year_blocker(indicator) if year_blocker else None
        if blocker:
            error("fiscal_year", fiscal_year, blocker)
            continue
        errors += _field_errors(index, indicator, entry)
    return errors


def _collector(errors: list[EntryError], index: int):
    def error(field: str, value, message: str) -> None:
        errors.append(EntryError(index, field, str(value), message))

    return error


def _updatable_indicator_ids(user, ids) -> set[int]:
    from plans.access import indicator_scope

    return set(Indicator.objects.filter(indicator_scope(user), pk__in=ids).values_list("pk", flat=True))


def _field_errors(index: int, indicator: Indicator, entry: ActualEntry) -> list[EntryError]:
    errors = []
    for field in ("actual_text", "note"):
        text = getattr(entry, field) or ""
        if looks_like_formula(text):
            errors.append(
                EntryError(index, field, text, "「=」「+」「-」「@」で始まる値は数式とみなされるため入力できません")
            )
    if len(entry.actual_text or "") > MAX_TEXT:
        errors.append(EntryError(index, "actual_text", entry.actual_text, f"{MAX_TEXT}文字以内で入力してください"))
    _, ok = parse_actual(indicator, entry.actual_text or "")
    if not ok and not any(e.field == "actual_text" for e in errors):
        errors.append(
            EntryError(index, "actual_text", entry.actual_text, f"数値で入力してください{unit_hint(indicator)}")
        )
    if entry.evidence_url:
        try:
            URL(entry.evidence_url)
        except ValidationError:
            errors.append(
                EntryError(
                    index, "evidence_url", entry.evidence_url, "http:// または https:// で始まるURLを入力してください"
                )
            )
    return errors


@transaction.atomic
def save_entries(user, plan, fiscal_year: int, entries: list[ActualEntry], *, reason: str = "", source: str = "entry"):
    """Validate, then write every entry in one transaction; raise EntryValidationError and write nothing if invalid."""
    errors = validate_entries(user, plan, fiscal_year, entries)
    if errors:
        raise EntryValidationError(errors)
    result = SaveResult()
    ids = [e.indicator_id for e in entries]
    existing = {
        v.indicator_id: v
        for v in IndicatorValue.objects.select_for_update().filter(indicator_id__in=ids, fiscal_year=fiscal_year)
    }
    indicators = Indicator.objects.in_bulk(ids)
    for entry in entries:
        text, note, url = entry.actual_text.strip(), (entry.note or "").strip(), (entry.evidence_url or "").strip()
        value, _ = parse_actual(indicators[entry.indicator_id], text)
        row = existing.get(entry.indicator_id)
        if row is None:
            if not (text or note or url):
                result.unchanged += 1
                continue
            row = IndicatorValue(indicator_id=entry.indicator_id, fiscal_year=fiscal_year)
            result.created += 1
        elif (row.actual_text, row.actual_value, row.note, row.evidence_url) == (text, value, note, url):
            result.unchanged += 1
            continue
        else:
            result.changed += 1
        row.actual_text, row.actual_value, row.note, row.evidence_url = text, value, note, url
        audit.record(row, user=user, source=source, reason=reason)
        row.save()
    if result.created or result.changed:
        recompute_plan_marks(plan)
        transaction.on_commit(bump_generation)
    return result
