"""`make mutmut`: mutmut 3 over the engine, access rules, entry and importer ([tool.mutmut] in pyproject.toml).

mutmut writes its mutants/ directory where it runs and imports the project from there, so it runs in a
copy: ``git archive`` of a commit (HEAD by default; ``--worktree``: the files as they are now) exported to
bench-results/mutmut/ (rebuilt on every run; it stays afterwards for ``mutmut results``, ``mutmut show
NAME`` and ``mutmut browse`` run from there). This checkout is never written to.

    python bench/mutmut_run.py [--rev HEAD | --worktree] [--files kpis/engine.py,...]
                               [--tests tests/test_engine.py,...] [--max-children 1]

--files and --tests replace only_mutate and the test selection of the copy's [tool.mutmut] (a quicker
run on part of the files).

Speed: mutmut runs each mutant's tests in a fresh pytest session, and pytest-django would build the test
database by migrating an in-memory SQLite each time (30 of kpis/engine.py's 346 mutants in 7 minutes, two
at a time, on the loaded machine of 2026-12-03).
So the copy gets a settings module (dxportal/mutmut_settings.py: the project's settings with the test
database in a file) and pytest --reuse-db: migrated once, every test still rolled back. One file, so one
mutant at a time (--max-children 1): two would wait on SQLite's lock.

Prints the score (killed / total: killed and timed-out mutants over every mutant) and the mutants not
killed, and writes bench-results/mutmut-<timestamp>.json.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutations import export_tree  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
MUTMUT = str(ROOT / ".venv" / "bin" / "mutmut")
SETTINGS = """\"\"\"`make mutmut`'s test settings (written by bench/mutmut_run.py): the test database in a file.\"\"\"

from dxportal.settings import *  # noqa: F403
from dxportal.settings import DATABASES

DATABASES["default"]["TEST"] = {{"NAME": "{name}"}}
"""


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def override(pyproject: Path, key: str, items: list[str]) -> None:
    """Replace one list setting of [tool.mutmut] in the copy's pyproject.toml."""
    text = pyproject.read_text(encoding="utf-8")
    start = text.index("[tool.mutmut]")
    pattern = re.compile(rf"^{key} = \[.*?\]$", re.MULTILINE | re.DOTALL)
    match = pattern.search(text, start)
    if match is None:
        sys.exit(f"no {key} in [tool.mutmut] of {pyproject}")
    pyproject.write_text(text[: match.start()] + f"{key} = {toml_list(items)}" + text[match.end() :], encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--rev", default="HEAD", help="the commit to mutate (default HEAD)")
    source.add_argument("--worktree", action="store_true", help="the working tree, uncommitted changes too")
    parser.add_argument("--files", default="", help="comma-separated files to mutate (default: only_mutate)")
    parser.add_argument("--tests", default="", help="comma-separated test files (default: the configured ones)")
    parser.add_argument("--max-children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--dir", type=Path, default=RESULTS / "mutmut", help="where the copy goes")
    args = parser.parse_args()

    copy = args.dir.resolve()
    if copy == ROOT or ROOT.is_relative_to(copy):
        parser.error("--dir must not be the project itself")
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    source_label = export_tree(copy, None if args.worktree else args.rev)
    if args.files:
        override(copy / "pyproject.toml", "only_mutate", args.files.split(","))
    if args.tests:
        override(copy / "pyproject.toml", "pytest_add_cli_args_test_selection", args.tests.split(","))
    test_database = copy / "test-db.sqlite3"
    (copy / "dxportal" / "mutmut_settings.py").write_text(SETTINGS.format(name=str(test_database)))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite, whatever the shell says
    env |= {"DJANGO_SETTINGS_MODULE": "dxportal.mutmut_settings", "PYTEST_ADDOPTS": "--reuse-db"}
    command = [MUTMUT, "run", "--max-children", str(args.max_children)]
    print(f"mutmut of {source_label} in {copy}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    log = copy / "mutmut.log"
    with log.open("w") as out:
        run = subprocess.run(command, cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = round(time.monotonic() - started)
    subprocess.run([MUTMUT, "export-cicd-stats"], cwd=copy, env=env, capture_output=True, check=False)
    stats_file = copy / "mutants" / "mutmut-cicd-stats.json"
    if run.returncode != 0 or not stats_file.exists():
        print(log.read_text()[-5000:])
        print(f"mutmut run failed (exit {run.returncode}) after {seconds} s; log: {log}")
        return 1
    stats = json.loads(stats_file.read_text())
    survivors = subprocess.run([MUTMUT, "results"], cwd=copy, env=env, capture_output=True, text=True).stdout
    killed = stats["killed"] + stats["timeout"]
    score = killed / stats["total"] if stats["total"] else 0.0
    print(survivors.rstrip())
    print(
        f"\nkilled {killed} / {stats['total']} ({score:.1%}); survived {stats['survived']}, "
        f"no tests {stats['no_tests']}, suspicious {stats['suspicious']}, timeout {stats['timeout']} "
        f"(of them counted as killed); {seconds} s"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_file = RESULTS / f"mutmut-{stamp}.json"
    summary = {
        "source": source_label,
        "command": " ".join(sys.argv),
        "seconds": seconds,
        "stats": stats,
        "score": round(score, 4),
        "not_killed": survivors.split("\n"),
    }
    out_file.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(f"{out_file.relative_to(ROOT)}; details: cd {copy} && {MUTMUT} results / show NAME / browse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
