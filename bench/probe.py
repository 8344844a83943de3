"""In-process measurements for `make bench`, run against the database in DATABASE_URL; prints JSON.

python bench/probe.py count                  municipalities in the database
python bench/probe.py queries URL...         SQL queries per page (page cache off)
python bench/probe.py render URL...          milliseconds per page rendered in-process (no HTTP, page cache off)
python bench/probe.py first URL...           a fresh worker's first request per page, without and with warm-up
python bench/probe.py sheets SLUG/PLAN@FY... review workbook: seconds and peak memory
python bench/probe.py import N               N actuals: SHEETS' import vs django-import-export row by row
"""

import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from plans.models import Municipality, Plan  # noqa: E402


def count() -> dict:
    return {"municipalities": Municipality.objects.count(), "plans": Plan.objects.count()}


def queries(urls: list[str]) -> dict:
    client = Client()
    result = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            status = client.get(url).status_code
        result[url] = {"status": status, "queries": len(captured)}
    return result


def wsgi_get(handler, url: str) -> int:
    """One GET through a WSGI handler, as gunicorn calls it; the response status."""
    path, _, query = url.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": unquote(path).encode().decode("iso-8859-1"),  # WSGI's PEP 3333 string
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    status = []
    response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(response)
    response.close()
    return int(status[0].split()[0])


def render(urls: list[str], repeat: int = 20) -> dict:
    """Mean time of one request through Django's WSGI handler: middleware, view, template, no HTTP.

    What a page costs the worker when it is not in the page cache, without the load generator and the
    socket in the way; `/healthz` among the URLs gives the handler's own cost. Run with production
    settings (DEBUG off) and PUBLIC_CACHE_SECONDS=0.
    """
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    result = {}
    for url in urls:
        status = wsgi_get(handler, url)  # warm: templates compiled, connection open
        started = time.perf_counter()
        for _ in range(repeat):
            wsgi_get(handler, url)
        result[url] = {"status": status, "ms": round((time.perf_counter() - started) / repeat * 1000, 2)}
    return result


def first_request(start: str, url: str) -> dict:
    """The first request of a fresh process, as a newly forked gunicorn worker serves it.

    start "plain": Django's WSGI handler as get_wsgi_application() returns it; "warm": dxportal.wsgi,
    which runs dxportal.warmup.warm_up() first (in gunicorn, once in the master before the fork).
    """
    if start == "warm":
        from dxportal.wsgi import application as handler
    else:
        from django.core.handlers.wsgi import WSGIHandler

        handler = WSGIHandler()
    started = time.perf_counter()
    status = wsgi_get(handler, url)
    return {"status": status, "ms": round((time.perf_counter() - started) * 1000, 1)}


def first_requests(urls: list[str]) -> dict:
    """Per URL, a fresh process's first request without and with the warm-up, the page cache filled first.

    Run with the page cache on (PUBLIC_CACHE_SECONDS > 0, REDIS_URL): a recycled worker's first
    request is usually a hit. Each measurement is a process of its own.
    """

    def in_new_process(*args: str) -> dict:
        out = subprocess.run(
            [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=os.environ
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    for url in urls:
        in_new_process("first-request", "warm", url)  # fills the page cache
    result = {}
    for url in urls:
        plain, warm = (in_new_process("first-request", start, url) for start in ("plain", "warm"))
        result[url] = {"status": warm["status"], "plain_ms": plain["ms"], "warm_ms": warm["ms"]}
    return result


def sheets(targets: list[str]) -> dict:
    try:
        from kpis.sheets.review import build_review_workbook
    except ImportError:
        return {"skipped": "kpis.sheets.review.build_review_workbook does not exist yet"}
    result = {}
    for target in targets:
        path, fy = target.split("@")
        municipality, slug = path.split("/")
        plan = Plan.objects.get(municipality__slug=municipality, slug=slug)
        started = time.perf_counter()
        stream = io.BytesIO()
        build_review_workbook(plan, int(fy), stream)
        seconds = time.perf_counter() - started
        tracemalloc.start()  # a second run for memory: tracing slows the first one down
        build_review_workbook(plan, int(fy), io.BytesIO())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result[target] = {
            "measures": plan.measures.count(),
            "seconds": round(seconds, 3),
            "peak_python_mib": round(peak / 2**20, 1),
            "bytes": len(stream.getvalue()),
        }
    return result


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what == "count":
        result = count()
    elif what == "queries":
        result = queries(args)
    elif what == "render":
        result = render(args)
    elif what == "first":
        result = first_requests(args)
    elif what == "first-request":
        result = first_request(*args)
    elif what == "sheets":
        result = sheets(args)
    elif what == "import":
        from bench.import_bench import run

        result = run(int(args[0]))
    else:
        raise SystemExit(f"unknown probe {what!r}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
