"""`make bench`: throughput and latency of the public pages under gunicorn + wrk, on loopback.

For each database (SQLite, PostgreSQL) and scale (municipalities), it loads the data once (the four
real plans plus demo plans from `generate_demo_data`), then serves it with gunicorn.conf.py twice:
page cache on (Redis, as in production) and off (PUBLIC_CACHE_SECONDS=0). Each page's requests/s is
reported as a ratio to /healthz measured in the same gunicorn run. It also counts SQL queries per
page, times each page rendered in-process without the cache and a fresh worker's first request
(bench/probe.py), times the review workbook, and compares the actuals import with django-import-export's
default.

Static publication (docs/deploy.md, section 12): per database and scale it also writes the public pages
with `publish_static` (timed: the largest seed plan present, with 2 processes and with 1), serves them
with the documented nginx block in front of the cached gunicorn, and loads each page that is a file
with wrk, next to a plain nginx static file of the same size (the ceiling). Every uncached page's
in-process render time is also given as a multiple of the 404 page's in the same run.

    python bench/run.py [--databases sqlite,postgres] [--scales 1,50,1741] [--seconds 8] [--connections 32]
                        [--pages home,plan | all] [--port 18100] [--redis-url redis://127.0.0.1:6379/2]

Results: a table on stdout and bench-results/bench-<timestamp>.json. Databases are kept in
bench-results/db/ (SQLite) and as dxportal_bench_* (PostgreSQL) and reused when their size matches;
the JSON records per database and scale how long the load took (or that it was reused) and the size.
"""

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote

import nginx  # bench/nginx.py: the documented block, run unprivileged

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG = "postgres://postgres@127.0.0.1:5432"
PLAN = "/noshiro/dx-plan-2023"
ALL_PAGES = {
    "healthz": "/healthz",  # always measured: the other pages' ratios are to it
    "home": "/",
    "prefecture": "/pref/05/",  # Akita: the real plans
    "demo-prefecture": "/pref/90/",  # 1,000 demo municipalities at scale 1741; 404 below scale 5
    "municipality": "/noshiro/",
    "plan": f"{PLAN}/",
    "summary": f"{PLAN}/summary/2023/",
    "measure": f"{PLAN}/measures/1-%281%29-%E2%91%A0/",
    "roadmap": f"{PLAN}/roadmap/",
    "csv": f"{PLAN}/plan.csv",
    "json": f"{PLAN}/plan.json",
    # Pages that list many municipalities: the sitemap index (one entry per municipality), a
    # municipality's sitemap, and a priority area compared across a prefecture's municipalities.
    "sitemap": "/sitemap.xml",
    "muni-sitemap": "/noshiro/sitemap.xml",
    "compare": "/compare/online-procedures/?pref=05",
    # The floor of any uncached page: one indexed lookup, then the site's frame (404.html) and nothing else.
    "not-found": "/no-such-town/",
}
EXPECTED_404 = {"not-found"}
DEFAULT_PAGES = ["home", "prefecture", "plan", "summary", "measure", "csv", "not-found"]
PAGES = {name: ALL_PAGES[name] for name in ["healthz", *DEFAULT_PAGES]}  # --pages changes it
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
        if probe(url, "count")["municipalities"] not in municipalities:
            return None
    except (subprocess.CalledProcessError, json.JSONDecodeError, IndexError):
        return None
    manage(url, "migrate", "--noinput", "-v0")  # a database kept from an older checkout
    return url


def database_bytes(database: str, url: str) -> int:
    if database == "sqlite":
        return Path(url.removeprefix("sqlite:///")).stat().st_size
    name = url.rsplit("/", 1)[1]
    sql = f"SELECT pg_database_size('{name}')"
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAq", "-c", sql], check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip())


def prepare(database: str, scale: int) -> tuple[str, dict]:
    """A database with `scale` municipalities (real plans first, then demo ones) and how it was loaded."""
    url = existing(database, str(scale), {scale})
    if url:
        print(f"-- reusing {database} × {scale}", flush=True)
        return url, {"reused": True, "db_mib": round(database_bytes(database, url) / 2**20, 1)}
    print(f"-- loading {scale} municipalities into {database} (load {os.getloadavg()[0]:.1f})", flush=True)
    started = time.perf_counter()
    url = create_empty(database, str(scale))
    fixtures = sorted(str(p) for p in (ROOT / "fixtures").glob("*.json"))
    if scale < len(fixtures):
        fixtures = [f for f in fixtures if "noshiro" in f] + [f for f in fixtures if "noshiro" not in f]
    manage(url, "import_plan", *fixtures[:scale])
    if scale > len(fixtures):  # prints its progress per batch of plans
        manage(url, "generate_demo_data", "--municipalities", str(scale - len(fixtures)))
    seconds = round(time.perf_counter() - started, 1)
    size = round(database_bytes(database, url) / 2**20, 1)
    print(f"-- loaded {database} × {scale} in {seconds} s, {size} MiB", flush=True)
    return url, {"reused": False, "load_seconds": seconds, "db_mib": size, "load_average": os.getloadavg()}


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


def free_port(first: int = 0) -> int:
    """A free port: any (first=0), else the first free one from `first` up."""
    for port in range(first, first + 100) if first else [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit(f"no free port in {first}–{first + 99}")


REDIS_URL = "redis://127.0.0.1:6379/0"  # --redis-url changes it


def production_env(url: str, cached: bool) -> dict:
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
        "PUBLIC_CACHE_SECONDS": "3600" if cached else "0",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
    }


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    # stderr to a file, never an unread pipe: once ~64 KiB of log lines fill a pipe, every worker
    # blocks in write() and the site goes silent (the cause of the first soak's timeouts).
    log_path = RESULTS / f"gunicorn-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not start: {log_path.read_text()[-2000:]}")


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


def serve_and_measure(
    url: str, cached: bool, seconds: int, connections: int, first_port: int = 0, files_root: Path | None = None
) -> dict:
    """wrk on each page from gunicorn; with files_root, also from the files through nginx in front of it."""
    port = free_port(first_port)
    server = start_gunicorn(production_env(url, cached), port)
    try:
        for page, path in PAGES.items():  # warm: fill the page cache and the workers' connections
            for _ in range(3):
                try:  # generous: gunicorn may still be finishing the previous wrk run's requests
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120).read()
                except urllib.error.HTTPError as error:
                    if not (error.code == 404 and page in EXPECTED_404):
                        raise SystemExit(f"warming {page} ({path}) failed: {error!r}") from error
                except OSError as error:
                    raise SystemExit(f"warming {page} ({path}) failed: {error!r}") from error
        results = {page: wrk(f"http://127.0.0.1:{port}{path}", seconds, connections) for page, path in PAGES.items()}
        files = serve_files(files_root, port, seconds, connections) if files_root else {}
    finally:
        stop(server)
    base = results["healthz"]["rps"]
    for result in [*results.values(), *files.values()]:
        result["ratio"] = round(result["rps"] / base, 2)
    return {**results, **({"files": files} if files else {})}


# --- Static publication: the pages as files, served by nginx ------------------------------------------

PUBLIC_URL = "http://127.0.0.1"  # STATIC_PUBLISH_URL: the host gunicorn answers to (ALLOWED_HOSTS)


def publish(url: str, root: Path, *slugs: str, processes: int | None = None) -> dict:
    """`publish_static --municipality …` into root: wall seconds and the command's own summary."""
    env = {**production_env(url, cached=False), "STATIC_PUBLISH_ROOT": str(root), "STATIC_PUBLISH_URL": PUBLIC_URL}
    args = [arg for slug in slugs for arg in ("--municipality", slug)]
    args += ["--processes", str(processes)] if processes else []
    started = time.perf_counter()
    out = subprocess.run(
        [PYTHON, "manage.py", "publish_static", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    seconds = round(time.perf_counter() - started, 2)
    files = sum(1 for path in root.rglob("*") if path.is_file() and not path.name.startswith("."))
    return {"seconds": seconds, "files": files, "summary": out.strip().splitlines()[-1], "processes": processes}


def publish_timings(url: str) -> dict:
    """The largest seed plan present (Akita from 4 municipalities up, else Noshiro) into an empty
    directory, with a process per CPU and with one; then again unchanged (nothing rewritten)."""
    slug = "akita" if probe(url, "count")["municipalities"] >= 4 else "noshiro"
    result = {"municipality": slug}
    for label, processes in (("cpus", None), ("one", 1)):
        root = Path(tempfile.mkdtemp(prefix="dxportal-publish-"))
        try:
            result[label] = publish(url, root, slug, processes=processes)
            if label == "cpus":
                result["again"] = publish(url, root, slug)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return result


def file_of(path: str) -> str:
    """The file nginx's try_files serves for a URL path (dxportal.public.static_site.file_for)."""
    decoded = unquote(path).lstrip("/")
    return decoded + "index.html" if decoded.endswith("/") or not decoded else decoded


def file_pages() -> dict[str, str]:
    """The measured pages that are files: no query string, no 404, not /healthz."""
    return {
        page: path for page, path in PAGES.items() if "?" not in path and page != "healthz" and page not in EXPECTED_404
    }


def serve_files(root: Path, django_port: int, seconds: int, connections: int) -> dict:
    """Each page from its file through the documented nginx block, and a plain nginx static file of the
    same size (a copy in a directory served with nothing but `root`), in one nginx."""
    plain_root = Path(tempfile.mkdtemp(prefix="dxportal-same-size-"))
    pages = file_pages()
    for page, path in pages.items():
        shutil.copyfile(root / file_of(path), plain_root / f"{page}.html")
    port, plain_port = free_port(), free_port()
    plain = f"server {{ listen 127.0.0.1:{plain_port}; location / {{ root {plain_root}; }} }}"
    results = {}
    try:
        with nginx.serve(root, port, django_port, extra=plain, workers=os.cpu_count() or 1) as base:
            for page, path in pages.items():
                urllib.request.urlopen(base + path, timeout=10).read()
                served = wrk(base + path, seconds, connections)
                static = wrk(f"http://127.0.0.1:{plain_port}/{page}.html", seconds, connections)
                served["bytes"] = (root / file_of(path)).stat().st_size
                served["static_rps"], served["static_p99_ms"] = static["rps"], static["p99_ms"]
                served["vs_static"] = round(served["rps"] / static["rps"], 2)
                results[page] = served
    finally:
        shutil.rmtree(plain_root, ignore_errors=True)
    return results


def table(results: dict) -> str:
    """Per page: gunicorn with the page cache, nginx from the published files (ratio also to a plain
    nginx file of the same size), gunicorn without the cache (with the in-process render time, and
    that time as a multiple of the 404 page's)."""
    lines = [
        f"{'db':8} {'munis':>6} {'mode':6} {'page':12} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'queries':>7} {'render ms':>9} {'x 404':>6} {'vs file':>7}"
    ]
    for database, scales in results["pages"].items():
        for scale, modes in scales.items():
            queries = results["queries"][database][scale]
            renders = results["renders"][database][scale]
            floor = renders.get(ALL_PAGES["not-found"], {}).get("ms")
            files = results["files"].get(database, {}).get(scale, {})
            rows = [("cached", modes["cached"]), ("files", files), ("direct", modes["direct"])]
            for mode, pages in rows:
                for page, r in pages.items():
                    q = queries.get(ALL_PAGES[page], {}).get("queries", "") if mode != "files" else ""
                    # In-process, uncached: shown on the uncached ("direct") rows it explains.
                    ms = renders.get(ALL_PAGES[page], {}).get("ms", "") if mode == "direct" else ""
                    times = f"{ms / floor:.1f}" if ms and floor else ""
                    vs_file = f"{r['vs_static']:.2f}" if mode == "files" else ""
                    lines.append(
                        f"{database:8} {scale:>6} {mode:6} {page:12} {r['rps']:8.0f} {r['ratio']:6.2f} "
                        f"{r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {q!s:>7} {ms!s:>9} {times:>6} {vs_file:>7}"
                        + (f"  non-2xx {r['non_2xx']}" if r["non_2xx"] and page not in EXPECTED_404 else "")
                    )
    lines.append("\nplain nginx file of the same size (req/s, p99 ms), the 'vs file' ceiling")
    for database, scales in results["files"].items():
        for scale, pages in scales.items():
            plain = "  ".join(
                f"{p} {r['bytes'] // 1000} kB {r['static_rps']:.0f}/{r['static_p99_ms']}" for p, r in pages.items()
            )
            lines.append(f"{database:8} {scale:>6} {plain}")
    lines.append("\npublish_static --municipality (wall s, files): a process per CPU, one process, again unchanged")
    for database, scales in results["publish"].items():
        for scale, p in scales.items():
            lines.append(
                f"{database:8} {scale:>6} {p['municipality']}: {p['cpus']['seconds']} s / {p['one']['seconds']} s / "
                f"{p['again']['seconds']} s, {p['cpus']['files']} files ({p['again']['summary']})"
            )
    lines.append("\na fresh worker's first request, page cache filled (ms): Django's handler / after dxportal.warmup")
    for database, scales in results["first"].items():
        for scale, pages in scales.items():
            firsts = "  ".join(
                f"{page} {pages[path]['plain_ms']:.0f}/{pages[path]['warm_ms']:.0f}"
                for page, path in ALL_PAGES.items()
                if path in pages
            )
            lines.append(f"{database:8} {scale:>6} {firsts}")
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
    global REDIS_URL
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--scales", default="1,50", help="municipalities per database, e.g. 1,50,1741")
    parser.add_argument(
        "--pages",
        default=",".join(DEFAULT_PAGES),
        help=f"pages to load with wrk, 'all' for {','.join(p for p in ALL_PAGES if p != 'healthz')}",
    )
    parser.add_argument("--port", type=int, default=0, help="first port to try for gunicorn (default: any free)")
    parser.add_argument("--redis-url", default=REDIS_URL, help="Redis for the page cache (default: %(default)s)")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--import-actuals", type=int, default=10_000)
    parser.add_argument("--skip-io", action="store_true", help="skip the workbook and import benchmarks")
    parser.add_argument("--only-io", action="store_true", help="only the workbook and import benchmarks")
    args = parser.parse_args()
    REDIS_URL = args.redis_url
    names = [p for p in ALL_PAGES if p != "healthz"] if args.pages == "all" else args.pages.split(",")
    unknown = set(names) - set(ALL_PAGES)
    if unknown:
        parser.error(f"unknown pages {sorted(unknown)}; known: {', '.join(ALL_PAGES)}")
    PAGES.clear()
    PAGES.update({name: ALL_PAGES[name] for name in ["healthz", *names]})
    # Production serves static files through whitenoise's manifest, which collectstatic writes.
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env(database_url("sqlite", "static"), cached=False),
        check=True,
    )
    started = datetime.datetime.now(datetime.UTC)
    results = {"machine": machine(), "started": started.isoformat(timespec="seconds"), "args": vars(args)}
    results.update(data={}, pages={}, queries={}, renders={}, first={}, sheets={}, imports={}, files={}, publish={})
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{started:%Y%m%dT%H%M%S}.json"

    def save():  # after every stage: a long run that is stopped keeps what it measured
        results["load_average_at_end"] = os.getloadavg()
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1))

    for database in args.databases.split(","):
        for part in ("pages", "queries", "renders", "first", "data", "files", "publish"):
            results[part][database] = {}
        for scale in [] if args.only_io else [int(s) for s in args.scales.split(",")]:
            url, results["data"][database][scale] = prepare(database, scale)
            save()
            results["queries"][database][scale] = probe(url, "queries", *PAGES.values())
            results["renders"][database][scale] = probe(  # with the 404 page, the floor its times are put against
                url,
                "render",
                *dict.fromkeys([*PAGES.values(), ALL_PAGES["not-found"]]),
                extra_env=production_env(url, cached=False),
            )
            results["first"][database][scale] = probe(
                url, "first", *PAGES.values(), extra_env=production_env(url, cached=True)
            )
            results["publish"][database][scale] = publish_timings(url)
            save()
            files_root = Path(tempfile.mkdtemp(prefix="dxportal-files-"))
            try:
                results["publish"][database][scale]["measured"] = publish(url, files_root, "noshiro")
                # The files through nginx while the cached gunicorn runs behind it (/healthz of that run).
                cached = serve_and_measure(url, True, args.seconds, args.connections, args.port, files_root)
                results["files"][database][scale] = cached.pop("files")
                modes = {
                    "cached": cached,
                    "direct": serve_and_measure(url, False, args.seconds, args.connections, args.port),
                }
            finally:
                shutil.rmtree(files_root, ignore_errors=True)
            results["pages"][database][scale] = modes
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
