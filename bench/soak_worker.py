"""The Django side of `make soak` (bench/soak.py): one role per process, JSON on the last stdout line."""

import io
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import DatabaseError  # noqa: E402

from kpis.entry import ActualEntry, EntryValidationError, save_entries  # noqa: E402
from kpis.interchange.exporter import export_plan  # noqa: E402
from kpis.interchange.importer import import_plan  # noqa: E402
from kpis.management.commands.generate_demo_data import LARGE_PLAN_NUMBER, demo_document, real_plans  # noqa: E402
from kpis.models import Indicator  # noqa: E402
from kpis.sheets.reader import read_actuals  # noqa: E402
from kpis.sheets.template import build_actuals_template, template_indicators  # noqa: E402
from plans.models import Plan  # noqa: E402

STATE = Path(__file__).resolve().parent.parent / "bench-results" / "soak-state"
STAFF_PLAN, STAFF_YEAR = ("noshiro", "dx-plan-2023"), 2026
IMPORT_NUMBER = 100  # demo municipality re-imported as version A / B


def plan_of(municipality: str, slug: str | None = None) -> Plan:
    plans = Plan.objects.filter(municipality__slug=municipality)
    return plans.get(slug=slug) if slug else plans.get()


def hq() -> User:
    return User.objects.get(username="soak-hq")


def version(name: str) -> dict:
    """Two versions of one demo plan: other numbers, and B has 12 measures more."""
    misato = next(t for t in real_plans() if t["municipality"]["slug"] == "misato")
    return demo_document(misato, IMPORT_NUMBER, random.Random(name), measures=18 if name == "A" else 30)


def big_document(measures: int) -> dict:
    noshiro = next(t for t in real_plans() if t["municipality"]["slug"] == "noshiro")
    return demo_document(noshiro, LARGE_PLAN_NUMBER, random.Random(measures), measures=measures)


def setup() -> dict:
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / "ledger.json").unlink(missing_ok=True)  # a previous run's ledger would pass for this run's
    User.objects.create(username="soak-hq", is_staff=True, is_superuser=True)
    references = {}
    for name in ("B", "A"):  # ends on A
        plan = import_plan(version(name), delete_missing=True).plan
        references[name] = export_plan(plan)
    (STATE / "references.json").write_text(json.dumps(references, ensure_ascii=False, default=str))
    import_plan(big_document(300), delete_missing=True)
    return {"ok": True}


def staff(seconds: float) -> dict:
    """Save actuals in batches of 20, as a department would; the ledger holds every committed value."""
    plan, user = plan_of(*STAFF_PLAN), hq()
    numeric = [i.pk for i in template_indicators(plan, STAFF_YEAR) if i.kind == Indicator.Kind.NUMERIC]
    ledger, saves, failures, refused, n = {}, 0, [], [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = numeric[(n * 20) % len(numeric) :][:20]
        written = {pk: str(n * 1000 + j) for j, pk in enumerate(batch)}
        # Made-up numbers trip the plausibility warnings (a share over 100％, ten times last year): the
        # clerk confirms them, as the entry screen lets one do, and they are saved with the warnings.
        entries = [
            ActualEntry(indicator_id=pk, fiscal_year=STAFF_YEAR, actual_text=text, warnings_confirmed=True)
            for pk, text in written.items()
        ]
        try:
            save_entries(user, plan, STAFF_YEAR, entries, reason="soak", source="entry")
        except DatabaseError as error:
            failures.append(str(error)[:200])
        except EntryValidationError as error:  # the soak's entries are valid: a refusal is a finding
            refused.append(str(error)[:200])
        else:
            ledger.update(written)
            saves += 1
        n += 1
    (STATE / "ledger.json").write_text(json.dumps(ledger))
    return {
        "saves": saves,
        "values_in_ledger": len(ledger),
        "failures": failures[:5],
        "failed": len(failures),
        "refusals": refused[:5],
        "refused": len(refused),
    }


def check_staff() -> dict:
    """Re-export the actuals sheet and compare every row with the ledger."""
    ledger = json.loads((STATE / "ledger.json").read_text())
    stream = io.BytesIO()
    build_actuals_template(plan_of(*STAFF_PLAN), STAFF_YEAR, stream)
    exported = {row.text("indicator_id"): row.text("actual") for row in read_actuals(stream.getvalue()).rows}
    wrong = {pk: (text, exported.get(pk)) for pk, text in ledger.items() if exported.get(pk) != text}
    return {"ok": bool(ledger) and not wrong, "compared": len(ledger), "wrong": dict(list(wrong.items())[:5])}


def imports(seconds: float) -> dict:
    done, failures = {"A": 0, "B": 0}, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        name = "B" if sum(done.values()) % 2 == 0 else "A"
        try:
            import_plan(version(name), delete_missing=True)  # a whole new version: its removals are meant
            done[name] += 1
        except DatabaseError as error:
            failures.append(str(error)[:200])
    return {"imports": done, "failed": len(failures), "failures": failures[:5]}


def check_imports() -> dict:
    references = json.loads((STATE / "references.json").read_text())
    current = json.loads(json.dumps(export_plan(plan_of(f"demo-{IMPORT_NUMBER:04d}")), default=str))
    matches = [name for name, reference in references.items() if reference == current]
    return {"ok": len(matches) == 1, "equals_version": matches}


def main():
    role, args = sys.argv[1], sys.argv[2:]
    if role == "setup":
        result = setup()
    elif role == "staff":
        result = staff(float(args[0]))
    elif role == "check-staff":
        result = check_staff()
    elif role == "imports":
        result = imports(float(args[0]))
    elif role == "check-imports":
        result = check_imports()
    elif role == "big-import":
        result = {"measures": import_plan(big_document(600), delete_missing=True).plan.measures.count()}
    elif role == "export":
        result = export_plan(plan_of(args[0]))
    else:
        raise SystemExit(f"unknown role {role!r}")
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
