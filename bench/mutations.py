"""`make mutations`: the targeted mutation check of issue 19 (small deliberate bugs the suite must catch).

Each mutation below replaces one exact piece of code with a plausible bug (an access rule that forgets
the municipality, an import that is no longer all-or-nothing, a lock the admin forgets...). The check
exports the project (``git archive`` of a commit, HEAD by default; ``--worktree``: the files as they are
now, uncommitted changes included) into a temporary directory, applies the mutations there one at a
time, and runs the mutation's test files with the project's venv from that directory, so the copy is
first on sys.path. /work/main itself is never modified. A mutation is

- caught: a test failed (the first failing test is named; pytest runs with -x);
- survived: every test passed, so nothing would notice the bug;
- timeout: the tests ran longer than --timeout seconds (counted as caught, reported apart);
- missing: its code is no longer in the file (the code moved: update the mutation).

Every catching test is then run once more on the unmutated copy: a test that fails there too did not
catch the mutation (the report says "baseline failed" and the check fails).

    python bench/mutations.py [--rev HEAD | --worktree] [--only NAME[,NAME...]] [--list] [--timeout 1200]

Prints a table and writes bench-results/mutations-<timestamp>.json; exits 1 when a mutation survived,
is missing, or a catching test failed without its mutation.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PYTEST = [PYTHON, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-rfE"]
# What --worktree leaves out of the copy: environments, caches, local databases and outputs.
NOT_COPIED = (".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "bench-results", "mutants")
NOT_COPIED_FILES = ("db.sqlite3",)


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: list[str]  # test files (or node ids), the fastest likely catcher first: pytest stops at the first failure
    why: str
    listed: bool = True  # one of issue 19's list of mutations that went unnoticed
    keyword: str = ""  # pytest -k expression, to run only the relevant part of a large file


MUTATIONS = [
    # Issue 19, "Tests that would let these regress": each went unnoticed when the issue was written.
    Mutation(
        name="can_import-any-municipality",
        path="plans/access.py",
        old=(
            "    if is_hq(user, plan.municipality_id):\n        return True\n"
            "    return user_departments(user).filter(municipality_id=plan.municipality_id).exists()\n"
        ),
        new="    if is_hq(user):\n        return True\n    return user_departments(user).exists()\n",
        tests=["tests/test_import_integrity.py", "tests/test_permissions.py"],
        why="can_import ignores the municipality: HQ or staff of another town may import into the plan",
    ),
    Mutation(
        name="import_plan-not-atomic",
        path="kpis/interchange/importer.py",
        old="@transaction.atomic\ndef import_plan(",
        new="def import_plan(",
        tests=["tests/test_import_integrity.py", "tests/test_plan_import_errors.py", "tests/test_interchange.py"],
        why="import_plan without @transaction.atomic: a refused import leaves what it wrote before the refusal",
    ),
    Mutation(
        name="admin-deletes-locked-value",
        path="dxportal/staff/admin/kpis.py",
        old=(
            "        return (\n            self.is_hq(request, obj)\n"
            "            and workflow.year_status(obj.indicator.plan, obj.fiscal_year) != PlanYear.Status.LOCKED\n"
            "        )\n"
        ),
        new="        return self.is_hq(request, obj)\n",
        tests=["tests/test_locks.py", "tests/test_admin_integrity.py"],
        why="the value admin lets HQ delete a value of a locked year",
    ),
    Mutation(
        name="indicator-admin-locked-targets",
        path="dxportal/staff/admin/kpis.py",
        old="    model = IndicatorValue\n    formset = LockedYearFormSet\n",
        new="    model = IndicatorValue\n",
        tests=["tests/test_locks.py", "tests/test_admin_integrity.py"],
        why="a locked year's targets are editable in the indicator admin's inline",
    ),
    Mutation(
        name="measure-marks-ignore-overrides",
        path="kpis/services.py",
        old="final = Verdict(value.mark, value.override_reason if value.override else value.explanation)",
        new="final = Verdict(value.computed, value.explanation)",
        tests=["tests/test_mutation_guards.py", "tests/test_marks.py", "tests/test_override_reasons.py"],
        why="measure marks are combined from the KPIs' computed marks, ignoring staff's overrides",
    ),
    Mutation(
        name="fk-choices-not-scoped",
        path="dxportal/staff/scope.py",
        old="    if access.is_superuser(user) or not has_municipality(model):\n        return None\n",
        new="    return None\n",
        tests=["tests/test_admin_integrity.py", "tests/test_permissions.py"],
        why="admin foreign-key choices are not limited by role (another municipality's plans, departments...)",
    ),
    Mutation(
        name="any-hq-appoints-hq",
        path="dxportal/staff/admin/plans.py",
        old=(
            '    """Only superusers appoint HQ members."""\n'
            "\n"
            '    list_display = ("user", "municipality")\n'
            '    list_select_related = ("user", "municipality")\n'
            '    search_fields = ("user__username", "municipality__name")\n'
            '    autocomplete_fields = ("user", "municipality")\n'
            "    scope = staticmethod(lambda user: Q() if access.is_superuser(user) else Q(pk__in=[]))\n"
            "    public_reach = NO_PAGE\n"
            "\n"
            "    def hq_right(self, request, obj):\n"
            "        return access.is_superuser(request.user)\n"
            "\n"
            "    def has_module_permission(self, request):\n"
            "        return access.is_superuser(request.user)\n"
            "\n"
            "    def has_view_permission(self, request, obj=None):\n"
            "        return access.is_superuser(request.user)\n"
        ),
        new=(
            '    """Only superusers appoint HQ members."""\n'
            "\n"
            '    list_display = ("user", "municipality")\n'
            '    list_select_related = ("user", "municipality")\n'
            '    search_fields = ("user__username", "municipality__name")\n'
            '    autocomplete_fields = ("user", "municipality")\n'
            "    scope = staticmethod(lambda user: Q() if access.is_hq(user) else Q(pk__in=[]))\n"
            "    public_reach = NO_PAGE\n"
            "\n"
            "    def hq_right(self, request, obj):\n"
            "        return access.is_hq(request.user)\n"
            "\n"
            "    def has_module_permission(self, request):\n"
            "        return access.is_hq(request.user)\n"
            "\n"
            "    def has_view_permission(self, request, obj=None):\n"
            "        return access.is_hq(request.user)\n"
        ),
        tests=["tests/test_admin_integrity.py", "tests/test_permissions.py"],
        why="any HQ user appoints HQ members, of any municipality (only superusers may)",
    ),
    Mutation(
        name="hq-appoints-other-towns-staff",
        path="dxportal/staff/admin/plans.py",
        old="    if access.is_superuser(user):\n        return accounts\n",
        new="    return accounts\n",
        tests=["tests/test_admin_integrity.py", "tests/test_permissions.py"],
        why="the staff-membership form offers HQ the staff accounts of other municipalities",
    ),
    Mutation(
        name="entry-accepts-any-suffix",
        path="kpis/entry.py",
        old='    if rest and not (unit.startswith(rest) or (rest == "%" and "%" in unit)):\n',
        new="    if False:\n",
        tests=["tests/test_entry_limits.py", "tests/test_entry_screens.py", "tests/test_actuals_import.py"],
        why="an actual with any text after the number is accepted (12kg for a KPI in 回/年)",
    ),
    Mutation(
        name="compare-counts-drafts",
        path="dxportal/public/compare.py",
        old="    tagged = Measure.tags.through.objects.filter(measure__plan__status=Plan.Status.PUBLISHED)\n",
        new="    tagged = Measure.tags.through.objects.all()\n",
        tests=["tests/test_mutation_guards.py", "tests/test_portal_pages.py", "tests/test_public_cache.py"],
        keyword="compar",
        why="the comparison index counts the measures of draft plans",
    ),
    # Five the suite caught already when the issue was written: kept so they stay caught.
    Mutation(
        name="engine-worst-is-best",
        path="kpis/engine.py",
        old="        worst = max(scored, key=lambda v: scheme.rank(v.mark))\n",
        new="        worst = min(scored, key=lambda v: scheme.rank(v.mark))\n",
        tests=["tests/test_engine.py"],
        why='the "worst" scoring policy takes the best KPI mark',
        listed=False,
    ),
    Mutation(
        name="engine-scores-empty-actual",
        path="kpis/engine.py",
        old='    if actual.empty:\n        return Verdict("", "実績が未入力のため評価しない")\n    if kind == "numeric"',
        new='    if kind == "numeric"',
        tests=["tests/test_engine.py"],
        why="a year without an actual gets a mark",
        listed=False,
    ),
    Mutation(
        name="update-value-in-locked-year",
        path="kpis/access.py",
        old="    if year_status(plan, value.fiscal_year) == PlanYear.Status.LOCKED:\n        return False\n",
        new="",
        tests=["tests/test_mutation_guards.py", "tests/test_locks.py", "tests/test_permissions.py"],
        why="can_update_value lets a value of a locked year change",
        listed=False,
    ),
    Mutation(
        name="staff-see-every-measure",
        path="measures/access.py",
        old='    staff = Q(**{f"{prefix}pk__in": owned_measure_ids(user)})\n',
        new="    staff = Q()\n",
        tests=["tests/test_permissions.py"],
        why="department staff see (and update) every measure, not only their departments' own",
        listed=False,
    ),
    Mutation(
        name="entry-accepts-formulas",
        path="kpis/entry.py",
        old="    return looks_like_formula(plain)\n",
        new="    return False\n",
        tests=["tests/test_entry_limits.py", "tests/test_formulas.py", "tests/test_entry_screens.py"],
        why="the entry service stores text a spreadsheet would run as a formula (=HYPERLINK(...))",
        listed=False,
    ),
]


def export_tree(destination: Path, rev: str | None) -> str:
    """The project into destination: a commit (git archive) or, with rev None, the working tree as it is."""
    if rev is not None:
        commit = git("rev-parse", rev)
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
        return commit
    ignored = shutil.ignore_patterns(*NOT_COPIED, *NOT_COPIED_FILES)
    shutil.copytree(ROOT, destination, ignore=ignored, dirs_exist_ok=True, symlinks=True)
    return f"{git('rev-parse', 'HEAD')} + working tree"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def pytest_env() -> dict:
    # No bytecode: two mutations of one file, same size, in the same second, would reuse a stale .pyc.
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def check_imports_from(copy: Path) -> None:
    """The copy, not the editable install of /work/main, must be what the tests import."""
    code = "import dxportal, kpis, measures, plans; print(*(m.__file__ for m in (dxportal, kpis, measures, plans)))"
    out = subprocess.run([PYTHON, "-c", code], cwd=copy, env=pytest_env(), check=True, capture_output=True, text=True)
    for module_file in out.stdout.split():
        if not Path(module_file).resolve().is_relative_to(copy.resolve()):
            sys.exit(f"the tests would import {module_file}, not the copy in {copy}")


FAILED = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)


def run_tests(copy: Path, tests: list[str], keyword: str, timeout: int) -> dict:
    command = [*PYTEST, *tests] + (["-k", keyword] if keyword else [])
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=copy, env=pytest_env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "seconds": round(time.monotonic() - started), "test": "", "tail": ""}
    seconds = round(time.monotonic() - started)
    lines = (done.stdout + done.stderr).strip().splitlines()
    failed = FAILED.findall(done.stdout)
    if done.returncode == 0:
        outcome, test = "survived", ""
    elif done.returncode == 1 and failed:
        outcome, test = "caught", failed[0][1]
    else:  # 2-5: interrupted, internal error, usage error, nothing collected: the run proves nothing
        outcome, test = "error", ""
    return {"outcome": outcome, "seconds": seconds, "test": test, "tail": "\n".join(lines[-15:])}


def run_mutation(copy: Path, mutation: Mutation, timeout: int) -> dict:
    """Apply the mutation to the copy, run its tests, and put the file back as it was."""
    target = copy / mutation.path
    original = target.read_text(encoding="utf-8")
    found = original.count(mutation.old)
    if found != 1:
        return {"outcome": "missing", "seconds": 0, "test": "", "tail": f"{mutation.path}: the code occurs {found}×"}
    target.write_text(original.replace(mutation.old, mutation.new), encoding="utf-8")
    try:
        return run_tests(copy, mutation.tests, mutation.keyword, timeout)
    finally:
        target.write_text(original, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--rev", default="HEAD", help="the commit to check (default HEAD)")
    source.add_argument("--worktree", action="store_true", help="check the working tree, uncommitted changes too")
    parser.add_argument("--only", default="", help="comma-separated mutation names")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per mutation's test run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (its path is printed)")
    args = parser.parse_args()

    mutations = MUTATIONS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m.name for m in MUTATIONS}
        if unknown:
            parser.error(f"no such mutation: {', '.join(sorted(unknown))}")
        mutations = [m for m in MUTATIONS if m.name in wanted]
    if args.list:
        for m in mutations:
            print(f"{m.name:34} {m.path:34} {m.why}")
        return 0

    copy = Path(tempfile.mkdtemp(prefix="dxportal-mutations-"))
    try:
        source_label = export_tree(copy, None if args.worktree else args.rev)
        check_imports_from(copy)
        print(f"Mutation check of {source_label} in {copy}", flush=True)
        results = []
        for mutation in mutations:
            result = run_mutation(copy, mutation, args.timeout)
            results.append({"mutation": mutation.name, "path": mutation.path, "listed": mutation.listed, **result})
            shown = result["test"] or (result["tail"].splitlines() or [""])[-1]
            print(f"{result['outcome']:8} {result['seconds']:5d} s  {mutation.name:34} {shown}", flush=True)
            if result["outcome"] in ("survived", "error"):
                print("    " + result["tail"].replace("\n", "\n    "), flush=True)
        # Each catching test again without its mutation: it must pass there.
        for result in results:
            if result["outcome"] == "caught":
                baseline = run_tests(copy, [result["test"]], "", args.timeout)
                result["baseline"] = "passed" if baseline["outcome"] == "survived" else "failed"
                if result["baseline"] == "failed":
                    print(f"baseline failed: {result['test']} fails without {result['mutation']}", flush=True)
                    print("    " + baseline["tail"].replace("\n", "\n    "), flush=True)
    finally:
        if args.keep:
            print(f"kept {copy}")
        else:
            shutil.rmtree(copy, ignore_errors=True)

    print()
    print(report(results))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"mutations-{stamp}.json"
    out.write_text(json.dumps({"source": source_label, "results": results}, ensure_ascii=False, indent=2))
    print(f"\n{out.relative_to(ROOT)}")
    return 0 if all(is_caught(r) for r in results) else 1


def is_caught(result: dict) -> bool:
    return result["outcome"] == "timeout" or (result["outcome"] == "caught" and result.get("baseline") == "passed")


def report(results: list[dict]) -> str:
    lines = [f"{'mutation':34} {'outcome':9} catching test"]
    for r in results:
        outcome = "baseline failed" if r.get("baseline") == "failed" else r["outcome"]
        lines.append(f"{r['mutation']:34} {outcome:9} {r['test']}")
    lines.append(f"caught {sum(map(is_caught, results))} of {len(results)}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
