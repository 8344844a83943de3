"""In-process measurements for `make bench`, run against the database in DATABASE_URL; prints JSON.

python bench/probe.py count                  municipalities in the database
python bench/probe.py queries URL...         SQL queries per page (page cache off)
python bench/probe.py sheets SLUG/PLAN@FY... review workbook: seconds and peak memory
python bench/probe.py import N               N actuals: SHEETS' import vs django-import-export row by row
"""

import io
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

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
