"""Render every public page of the plans in fixtures/ into a folder, to compare two versions of the code.

    .venv/bin/python bench/snapshot_pages.py OUT_DIR          # write OUT_DIR/<path>.html (+ MANIFEST)
    diff -r BEFORE_DIR AFTER_DIR                               # byte-identical pages print nothing

Loads the fixtures into a fresh SQLite database in a temporary folder, then crawls from the sitemaps
(every page listed, both languages) plus the home, compare and prefecture pages and each plan's
JSON/CSV, with Django's test client and the page cache off. Used for the refactor of issue 16.
"""

import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(out: Path) -> None:
    tmp = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/snap.db"
    os.environ["PUBLIC_CACHE_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    fixtures = sorted(str(p) for p in (ROOT / "fixtures").glob("*.json"))
    call_command("import_plan", *fixtures, verbosity=0)
    client = Client(HTTP_HOST="testserver")
    seen, queue = set(), ["/", "/en/", "/robots.txt", "/sitemap.xml", "/compare/", "/en/compare/"]
    loc = re.compile(r"<(?:loc|xhtml:link[^>]*href=)[^>]*?>?([^<\"]+)")
    href = re.compile(r'href="(/[^"#?]*)"')
    out.mkdir(parents=True, exist_ok=True)
    while queue:
        path = queue.pop(0)
        if path in seen or path.startswith(("/manage", "/static", "/i18n")):
            continue
        seen.add(path)
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        name = path.strip("/").replace("/", "__") or "index"
        (out / f"{name}.{response.status_code}").write_bytes(body)
        if response.status_code != 200:
            continue
        text = body.decode("utf-8", "replace")
        for found in loc.findall(text) + href.findall(text):
            found = re.sub(r"^https?://[^/]+", "", found.strip())
            if found.startswith("/") and found not in seen:
                queue.append(found)
    (out / "MANIFEST").write_text("\n".join(sorted(seen)) + "\n")
    print(f"{len(seen)} pages in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
