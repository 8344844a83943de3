"""`make soak`: 60 s of public traffic while staff save values and imports run, with two faults.

Loopback only, PostgreSQL (database SOAK_DATABASE, default dxportal_soak, rebuilt each run), Redis
(SOAK_REDIS_URL, default db 0) and gunicorn.conf.py on SOAK_PORT (default: any free port).

- Readers: threads fetch the public pages of several plans for the whole run and count statuses.
- Staff: a process saves actuals through kpis.entry.save_entries in small batches and keeps a ledger
  of every committed value; at the end the plan is re-exported and compared with the ledger.
- Imports: a process re-imports one plan alternating between two versions A and B; at the end its
  export must equal the export of A or of B exactly (never a mixture).
- Fault 1: a gunicorn worker is killed (SIGKILL) while requests are in flight; the master replaces
  it and the site must answer again.
- Fault 2: the PostgreSQL connection of a large import (300 → 600 measures) is terminated
  (pg_terminate_backend) halfway: the plan must be exactly as before; the import is then rerun.

Prints a report and writes bench-results/soak-<timestamp>.json (gunicorn's log next to it); exits 1
when any check fails. gunicorn logs to that file, never to a pipe: the soak of 2026-11-22 03:05 went
silent because 1,784 "Not Found" warnings filled an unread stderr pipe and every worker blocked in
write() (reproduced: the site stops answering after ~1,790 logged 404s; py-spy shows the workers in
StreamHandler.emit).
"""

import collections
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import GUNICORN, PYTHON, RESULTS, ROOT, free_port, production_env, stop  # noqa: E402

DATABASE = os.environ.get("SOAK_DATABASE", "dxportal_soak")
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/0")
URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
READERS = 12
PAGES = [
    "/",
    "/noshiro/dx-plan-2023/",
    "/noshiro/dx-plan-2023/summary/2024/",
    "/noshiro/dx-plan-2023/measures/1-%281%29-%E2%91%A0/",
    "/noshiro/dx-plan-2023/plan.csv",
    "/akita/digital-plan-2-0/",
    "/demo-0001/dx-plan-2023/",  # demo 0001 has the Noshiro shape
    "/en/misato/dx-action-plan/",
]


def psql(sql: str) -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-At", "-c", sql], check=True, capture_output=True, text=True
    ).stdout


def worker(role: str, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "bench/soak_worker.py", role, *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": URL, **(env or {})},
        capture_output=True,
        text=True,
        check=check,
    )


def spawn(role: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    # Output goes to files, not pipes: a pipe nobody reads until the end blocks a chatty process.
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    process = subprocess.Popen(
        [PYTHON, "bench/soak_worker.py", role, *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": URL, **(env or {})},
        stdout=out,
        stderr=err,
    )
    process.output_files = (out, err)
    return process


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for a spawned process; its (stdout, stderr)."""
    process.wait(timeout=timeout)
    texts = []
    for stream in process.output_files:
        stream.seek(0)
        texts.append(stream.read().decode(errors="replace"))
        stream.close()
    return texts[0], texts[1]


def check(role: str) -> dict:
    """A check role's JSON; a role that fails (no ledger when the staff process failed) is a failed check."""
    done = worker(role, check=False)
    if done.returncode != 0:
        return {"ok": False, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout)


def prepare() -> None:
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    env = {**os.environ, "DATABASE_URL": URL}
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    # Production serves static files through whitenoise's manifest: without it every page is a 500.
    static_env = production_env(URL, cached=False)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=static_env, check=True)
    fixtures = sorted(str(p) for p in (ROOT / "fixtures").glob("*.json"))
    subprocess.run([*manage, "import_plan", *fixtures], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "generate_demo_data", "--municipalities", "6"], cwd=ROOT, env=env, check=True)
    worker("setup")


class Readers:
    """Threads fetching public pages; every status (or connection error) is counted."""

    def __init__(self, port: int):
        self.port, self.stop = port, threading.Event()
        self.statuses: collections.Counter = collections.Counter()
        self.seconds: list[float] = []
        self.backlog: list[int] = []  # requests queued in the listen socket, sampled every second
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.read, args=(i,), daemon=True) for i in range(READERS)]
        self.threads.append(threading.Thread(target=self.sample_backlog, daemon=True))

    def sample_backlog(self) -> None:
        while not self.stop.wait(1):
            self.backlog.append(listen_queue(self.port))

    def latency(self) -> dict:
        times = sorted(self.seconds)
        if not times:
            return {}
        pick = lambda q: round(times[min(len(times) - 1, int(q * len(times)))], 3)  # noqa: E731
        return {
            "p50_s": pick(0.5),
            "p99_s": pick(0.99),
            "max_s": round(times[-1], 3),
            "max_listen_queue": max(self.backlog, default=0),
        }

    def read(self, offset: int) -> None:
        i = offset
        while not self.stop.is_set():
            path = PAGES[i % len(PAGES)]
            i += 1
            began = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as response:
                    response.read()
                    outcome = str(response.status)
            except urllib.error.HTTPError as error:
                outcome = str(error.code)
            except OSError as error:  # a killed worker drops its connection: no status at all
                outcome = f"connection: {type(error).__name__}"
            with self.lock:
                self.statuses[outcome] += 1
                self.seconds.append(time.monotonic() - began)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=40)


def answers(port: int) -> int | str:
    """The plan page's status once the site answers (60 s at most)."""
    outcome, deadline = "no answer", time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/noshiro/dx-plan-2023/", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError as error:  # refused at once while no worker listens: try again shortly
            outcome = f"no answer ({type(error).__name__})"
            time.sleep(0.2)
    return outcome


def listen_queue(port: int) -> int:
    """Connections waiting in gunicorn's listen socket for a worker to accept them (ss Recv-Q)."""
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout.split()
    return int(out[1]) if len(out) > 1 else -1


def stacks(master: int) -> dict:
    """What every worker is doing (py-spy dump), for a site that does not answer."""
    found = {}
    for pid in worker_pids(master):
        dump = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "py-spy"), "dump", "--pid", str(pid)], capture_output=True, text=True
        )
        found[pid] = (dump.stdout or dump.stderr)[-3000:]
    return found


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def kill_a_worker(server: subprocess.Popen, port: int) -> dict:
    """SIGKILL one worker of our own gunicorn while it serves; then wait for the site to answer."""
    victim = worker_pids(server.pid)[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    status = answers(port)
    answered = time.monotonic() - killed_at
    time.sleep(2)
    return {
        "killed_worker": victim,
        "status_after_kill": status,
        "answered_again_after_s": round(answered, 2),
        "workers_after": len(worker_pids(server.pid)),
        "replaced": victim not in worker_pids(server.pid),
    }


def terminate_import_connection() -> dict:
    """Start the large import, terminate its PostgreSQL backend once it is writing, check nothing stayed."""
    before = json.loads(worker("export", "demo-9999").stdout)
    process = spawn("big-import", env={"PGAPPNAME": "soak-big-import"})
    terminated = ""
    for _ in range(600):
        time.sleep(0.1)
        state = psql(
            f"SELECT pid, state FROM pg_stat_activity WHERE datname = '{DATABASE}' "
            "AND application_name = 'soak-big-import' AND xact_start < now() - interval '2 seconds'"
        ).strip()
        if state:
            pid = state.split("|")[0]
            terminated = psql(f"SELECT pg_terminate_backend({pid})").strip()
            break
        if process.poll() is not None:
            break
    out, err = finish(process, timeout=300)
    after = json.loads(worker("export", "demo-9999").stdout)
    rerun = worker("big-import", check=False)
    final = json.loads(worker("export", "demo-9999").stdout)
    return {
        "terminated": terminated == "t",
        "import_failed": process.returncode != 0,
        # The exception line, not the last line of PostgreSQL's multi-line message.
        "import_error": next((line for line in reversed(err.splitlines()) if "Error:" in line), err[-200:])[:200],
        "plan_unchanged_after_failed_import": after == before,
        "rerun_succeeded": rerun.returncode == 0,
        "measures_after_rerun": len(final["measures"]),
        "measures_before": len(before["measures"]),
    }


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    """gunicorn with its log in a file: an unread stderr pipe fills up (64 KiB) and then blocks every
    worker that logs a line (a 404 warning, a traceback) in write(): the whole site goes silent."""
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not start, see {log}")


def main():
    started = datetime.datetime.now(datetime.UTC)
    print("-- preparing", DATABASE, flush=True)
    prepare()
    port = int(os.environ.get("SOAK_PORT") or free_port())
    env = {
        **production_env(URL, cached=True),
        "REDIS_URL": REDIS_URL,
        "GUNICORN_WORKERS": "4",
        "GUNICORN_MAX_REQUESTS": "0",
        # Warnings and worker restarts go to the log file; no access log (12 readers would fill it).
        "GUNICORN_LOG_LEVEL": "info",
    }
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / f"soak-{started:%Y%m%dT%H%M%S}-gunicorn.log"
    server = start_gunicorn(env, port, log)
    report: dict = {"started": started.isoformat(timespec="seconds"), "seconds": SECONDS}
    try:
        with Readers(port) as readers:
            staff = spawn("staff", str(SECONDS))
            imports = spawn("imports", str(SECONDS))
            time.sleep(SECONDS / 3)
            report["worker_kill"] = kill_a_worker(server, port)
            time.sleep(max(0, SECONDS / 3 - report["worker_kill"]["answered_again_after_s"]))
            report["connection_kill"] = terminate_import_connection()
            staff_out, staff_err = finish(staff, timeout=SECONDS * 3)
            imports_out, imports_err = finish(imports, timeout=SECONDS * 3)
        report["reads"] = dict(readers.statuses)
        report["read_latency"] = readers.latency()
        report["staff"] = json.loads(staff_out.strip().splitlines()[-1]) if staff.returncode == 0 else staff_err[-2000:]
        report["imports"] = (
            json.loads(imports_out.strip().splitlines()[-1]) if imports.returncode == 0 else imports_err[-2000:]
        )
        report["staff_check"] = check("check-staff")
        report["imports_check"] = check("check-imports")
        print(json.dumps(report, ensure_ascii=False, default=str), file=sys.stderr, flush=True)
        report["listen_queue_at_end"] = listen_queue(port)
        report["site_answers_at_end"] = answers(port)
        if report["site_answers_at_end"] != 200:
            report["worker_stacks"] = stacks(server.pid)
    finally:
        stop(server)
    report["tracebacks_in_gunicorn_log"] = log.read_text(errors="replace").count("Traceback")
    reads = report["reads"]
    checks = {
        "no 5xx": not any(k.startswith("5") for k in reads),
        "only 200 or dropped connections of the killed worker": all(
            k == "200" or k.startswith("connection") for k in reads
        ),
        "staff values all saved, none lost or half-written": report["staff_check"].get("ok") is True,
        "no staff save refused by validation": isinstance(report["staff"], dict) and report["staff"]["refused"] == 0,
        "imported plan is exactly version A or B": report["imports_check"].get("ok") is True,
        "killed worker replaced and site answered": report["worker_kill"]["replaced"],
        "terminated import wrote nothing": report["connection_kill"]["plan_unchanged_after_failed_import"]
        and report["connection_kill"]["import_failed"],
        "import rerun completes": report["connection_kill"]["rerun_succeeded"],
        "site answers at the end": report["site_answers_at_end"] == 200,
    }
    report["checks"] = checks
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"soak-{started:%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps(report, ensure_ascii=False, indent=1))
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print(f"written {path.relative_to(ROOT)} (gunicorn's log: {log.relative_to(ROOT)})")
    # Readers send no If-None-Match, so a 304 would be a bug here, not a cache hit.
    print(f"SOAK {'PASS' if all(checks.values()) else 'FAIL'}: {sum(checks.values())}/{len(checks)} checks")
    if not all(checks.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
