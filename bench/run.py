"""`make bench`: throughput and latency of the public pages under gunicorn + wrk, on loopback.

For each database (SQLite, PostgreSQL) and scale (municipalities), it loads the data once (the four
real plans plus demo plans from `generate_demo_data`), then serves it with gunicorn.conf.py twice:
page cache on (Redis, as in production) and off (PUBLIC_CACHE_SECONDS=0). Each page's requests/s is
reported as a ratio to /healthz measured in the same gunicorn run. It also counts SQL queries per
page, times the review workbook, and compares the actuals import with django-import-export's default.

    python bench/run.py [--databases sqlite,postgres] [--scales 1,50] [--seconds 8] [--connections 32]

Results: a table on stdout and bench-results/bench-<timestamp>.json. Databases are kept in
bench-results/ (SQLite) and as dxportal_bench_* (PostgreSQL) and reused when their size matches.
"""

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG = "postgres://postgres@127.0.0.1:5432"
PLAN = "/noshiro/dx-plan-2023"
PAGES = {
    "healthz": "/healthz",
    "home": "/",
    "plan": f"{PLAN}/",
    "summary": f"{PLAN}/summary/2023/",
    "measure": f"{PLAN}/measures/1-%281%29-%E2%91%A0/",
    "csv": f"{PLAN}/plan.csv",
}
SHEET_TARGETS = ["noshiro/dx-plan-2023@2024", "akita/digital-plan-2-0@2024", "demo-9999/dx-plan-2023@2024"]


def database_url(database: str, name: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{RESULTS / 'db' / (name + '.sqlite3')}"
    return f"{PG}/dxportal_bench_{name}"


def manage(url: str, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True)


def probe(url: str, *args: str, extra_env: dict | None = None) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "PUBLIC_CACHE_SECONDS": "0", **(extra_env or {})}
    out = subprocess.run(
        [PYTHON, "bench/probe.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def create_empty(database: str, name: str) -> str:
    url = database_url(database, name)
    if database == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    else:
        for sql in (f"DROP DATABASE IF EXISTS dxportal_bench_{name}", f"CREATE DATABASE dxportal_bench_{name}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)
    manage(url, "migrate", "--noinput", "-v0")
    return url


def existing(database: str, name: str, municipalities: set[int]) -> str | None:
    url = database_url(database, name)
    try:
        return url if probe(url, "count")["municipalities"] in municipalities else None
    except (subprocess.CalledProcessError, json.JSONDecodeError, IndexError):
        return None


def prepare(database: str, scale: int) -> str:
    """A database with `scale` municipalities: real plans first, then demo ones."""
    url = existing(database, str(scale), {scale})
    if url:
        return url
    print(f"-- loading {scale} municipalities into {database}", flush=True)
    url = create_empty(database, str(scale))
    fixtures = sorted(str(p) for p in (ROOT / "fixtures").glob("*.json"))
    if scale < len(fixtures):
        fixtures = [f for f in fixtures if "noshiro" in f] + [f for f in fixtures if "noshiro" not in f]
    manage(url, "import_plan", *fixtures[:scale])
    if scale > len(fixtures):
        manage(url, "generate_demo_data", "--municipalities", str(scale - len(fixtures)))
    return url


def prepare_io(database: str) -> str:
    """The real plans and a 1,000-measure demo plan, for the workbook and import benchmarks."""
    url = existing(database, "io", {5, 6})  # 6 once the import benchmark added its plan
    if url:
        return url
    print(f"-- loading the sheet/import data into {database}", flush=True)
    url = create_empty(database, "io")
    manage(url, "import_plan", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.json")))
    manage(url, "generate_demo_data", "--municipalities", "0", "--large-plan", "1000")
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(url: str, cached: bool) -> dict:
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
        "PUBLIC_CACHE_SECONDS": "3600" if cached else "0",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
    }


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start: " + server.stderr.read()[-2000:])


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return round(float(number) * UNITS[unit], 2)


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if not latency:
        raise SystemExit(f"wrk measured nothing at {url}:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": milliseconds(latency["50"]),
        "p99_ms": milliseconds(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else "",
    }


def serve_and_measure(url: str, cached: bool, seconds: int, connections: int) -> dict:
    port = free_port()
    server = start_gunicorn(production_env(url, cached), port)
    try:
        for path in PAGES.values():  # warm: fill the page cache and the workers' connections
            for _ in range(3):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30).read()
        results = {page: wrk(f"http://127.0.0.1:{port}{path}", seconds, connections) for page, path in PAGES.items()}
    finally:
        stop(server)
    base = results["healthz"]["rps"]
    for result in results.values():
        result["ratio"] = round(result["rps"] / base, 2)
    return results


def table(results: dict) -> str:
    lines = [
        f"{'db':8} {'munis':>6} {'cache':6} {'page':8} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'queries':>7}"
    ]
    for database, scales in results["pages"].items():
        for scale, modes in scales.items():
            queries = results["queries"][database][scale]
            for mode, pages in modes.items():
                for page, r in pages.items():
                    q = queries.get(PAGES[page], {}).get("queries", "")
                    lines.append(
                        f"{database:8} {scale:>6} {mode:6} {page:8} {r['rps']:8.0f} {r['ratio']:6.2f} "
                        f"{r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {q!s:>7}"
                        + (f"  non-2xx {r['non_2xx']}" if r["non_2xx"] else "")
                    )
    return "\n".join(lines)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        # This machine is shared: a load above the CPU count means other work competed with the bench.
        "load_average_at_start": os.getloadavg(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--scales", default="1,50")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--import-actuals", type=int, default=10_000)
    parser.add_argument("--skip-io", action="store_true", help="skip the workbook and import benchmarks")
    parser.add_argument("--only-io", action="store_true", help="only the workbook and import benchmarks")
    args = parser.parse_args()
    # Production serves static files through whitenoise's manifest, which collectstatic writes.
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env(database_url("sqlite", "static"), cached=False),
        check=True,
    )
    started = datetime.datetime.now(datetime.UTC)
    results = {"machine": machine(), "started": started.isoformat(timespec="seconds"), "args": vars(args)}
    results.update(pages={}, queries={}, sheets={}, imports={})
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{started:%Y%m%dT%H%M%S}.json"

    def save():  # after every stage: a long run that is stopped keeps what it measured
        results["load_average_at_end"] = os.getloadavg()
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1))

    for database in args.databases.split(","):
        results["pages"][database], results["queries"][database] = {}, {}
        for scale in [] if args.only_io else [int(s) for s in args.scales.split(",")]:
            url = prepare(database, scale)
            results["queries"][database][scale] = probe(url, "queries", *PAGES.values())
            results["pages"][database][scale] = {
                mode: serve_and_measure(url, mode == "cached", args.seconds, args.connections)
                for mode in ("cached", "direct")
            }
            save()
            print(f"-- {database} × {scale} done", flush=True)
        if not args.skip_io:
            url = prepare_io(database)
            results["sheets"][database] = probe(url, "sheets", *SHEET_TARGETS)
            save()
            results["imports"][database] = probe(url, "import", str(args.import_actuals))
            save()
    print(table(results))
    print(json.dumps({"sheets": results["sheets"], "imports": results["imports"]}, ensure_ascii=False, indent=1))
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
