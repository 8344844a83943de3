"""Static publication: every public page written as a file under ``STATIC_PUBLISH_ROOT``.

The files are what the views render: each page is requested through Django's own handler (URL
resolver, every middleware but the page cache, the view, its template) under ``STATIC_PUBLISH_URL``,
and the body of each ``200`` is written to the path nginx's ``try_files`` looks up for that URL
(docs/deploy.md):

    /noshiro/dx-plan-2023/             -> noshiro/dx-plan-2023/index.html
    /en/noshiro/dx-plan-2023/          -> en/noshiro/dx-plan-2023/index.html
    /noshiro/dx-plan-2023/plan.json    -> noshiro/dx-plan-2023/plan.json
    /noshiro/dx-plan-2023/measures/1-%281%29-%E2%91%A0/ -> noshiro/dx-plan-2023/measures/1-(1)-①/index.html

The pages are those the sitemaps list, in Japanese and English, so only published plans ever reach
the directory: a municipality's (its sitemap's sections, its plans' plan.json, plan.csv and summary.csv, its
sitemap.xml), and the cross-municipality ones (the portal sitemap's: home, compare, prefectures;
the sitemap index, sitemap-portal.xml and robots.txt). A query-string variant (``?pref=05``, a
filtered plan table) is no file: nginx sends it to Django.

Each file is written to a temporary name in its own directory and renamed over the old one
(``os.replace``, atomic on POSIX), so a reader gets the old page or the new one, never a part; an
unchanged page is not rewritten, so its mtime (nginx's ETag and Last-Modified) stays. Files of a
page that no longer renders (a plan set back to draft, a renamed municipality) are removed. The
directory belongs to this module: anything in it that is no page is removed by a full rebuild.
"""

import fcntl
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connection, connections
from django.http.request import split_domain_port, validate_host
from django.test.client import Client, ClientHandler
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation

from dxportal.public.compare import published_municipalities
from dxportal.public.sitemaps import PORTAL_SITEMAPS, MunicipalityPages
from plans.models import Municipality
from plans.publication import pending_requests, remove_requests

PAGE_CACHE_MIDDLEWARE = "dxportal.public.middleware.PublicPageCacheMiddleware"
LOCK_NAME = ".publish.lock"  # dot files are never pages: nginx does not serve them (docs/deploy.md)
TEMP_SUFFIX = ".tmp"
INDEX_DIRECTORIES = ("pref", "compare")  # cross-municipality pages below the top level
INDEX_PAGES = "(index pages)"  # in Outcome.failed: home, compare, prefectures, sitemap index, robots.txt


class PublishError(Exception):
    """A page that should be public did not render; its municipality's request stays queued."""


# --- Which pages, and where their files go ---------------------------------------------------------


def languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def prefixed_languages() -> list[str]:
    """The languages whose pages live under /<code>/ (i18n_patterns without the default's prefix)."""
    return [code for code in languages() if code != settings.LANGUAGE_CODE]


def sitemap_paths(sections: Iterable[Sitemap]) -> list[str]:
    """The path of every item of the sections in every language, as the sitemaps list them."""
    paths = []
    for section in sections:
        items = list(section.items())
        for language in languages():
            with translation.override(language):
                paths.extend(section.location(item) for item in items)
    return paths


def municipality_paths(municipality: Municipality) -> list[str]:
    """Every public page of one municipality; none when it has no published plan."""
    pages = MunicipalityPages(municipality)
    if not pages.plans:
        return []
    paths = sitemap_paths(pages.sitemaps().values())
    for language in languages():
        with translation.override(language):
            for plan in pages.plans:
                paths += [
                    reverse(name, args=[municipality.slug, plan.slug])
                    for name in ("plan-json", "plan-csv", "plan-summary-csv")
                ]
    return [*paths, reverse("sitemap-municipality", args=[municipality.slug])]


def index_paths() -> list[str]:
    """The pages that list several municipalities, and the files every site has."""
    sections = [section() for section in PORTAL_SITEMAPS.values()]
    return [*sitemap_paths(sections), reverse("sitemap"), reverse("sitemap-portal"), reverse("robots-txt")]


def file_for(path: str) -> PurePosixPath:
    """The file nginx's ``try_files`` finds for a URL path: nginx looks up the decoded path."""
    decoded = unquote(path)
    relative = PurePosixPath(decoded.lstrip("/") + ("index.html" if decoded.endswith("/") else ""))
    if not relative.parts or any(part in (".", "..") or part.startswith(".") for part in relative.parts):
        raise PublishError(f"{path}: no file name for this path (empty, '.', '..' or a dot file)")
    return relative


def municipality_directories(root: Path, slug: str) -> list[Path]:
    return [root / slug, *(root / language / slug for language in prefixed_languages())]


def index_directories(root: Path) -> list[Path]:
    bases = [root, *(root / language for language in prefixed_languages())]
    return [base / name for base in bases for name in INDEX_DIRECTORIES]


# --- Rendering ---------------------------------------------------------------------------------------


class RenderHandler(ClientHandler):
    """Django's request handler with every middleware but the page cache: what a first visitor gets."""

    def __init__(self):
        super().__init__(enforce_csrf_checks=True)

    def load_middleware(self, is_async=False):
        without_cache = [path for path in settings.MIDDLEWARE if path != PAGE_CACHE_MIDDLEWARE]
        with override_settings(MIDDLEWARE=without_cache):
            super().load_middleware(is_async)


def site_url() -> str:
    url = settings.STATIC_PUBLISH_URL
    if not url:
        raise ImproperlyConfigured(
            "STATIC_PUBLISH_URL is not set: the address the files are served under, e.g. "
            "https://dx.example.lg.jp (the sitemaps and robots.txt name it)"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ImproperlyConfigured(f"STATIC_PUBLISH_URL must be http(s)://host[:port] without a path, got {url!r}")
    allowed = settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    host, _ = split_domain_port(parts.netloc)
    if not validate_host(host, allowed):
        raise ImproperlyConfigured(f"STATIC_PUBLISH_URL's host {host!r} is not in ALLOWED_HOSTS")
    return url


class Renderer:
    """GET public paths through Django under the site's address; the body of each 200.

    With processes > 1 the pages of a municipality are rendered by that many forked processes,
    each with its own database connection (the views are CPU-bound: 2 cores halve a publish).
    Use it as a context manager so the processes end.
    """

    def __init__(self, url: str | None = None, processes: int = 1):
        self.url = url or site_url()
        parts = urlsplit(self.url)
        self.secure = parts.scheme == "https"
        self.client = Client(HTTP_HOST=parts.netloc)
        self.client.handler = RenderHandler()
        self.processes = processes
        self._pool = None

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.terminate() if exc[0] else self._pool.close()
            self._pool.join()
            self._pool = None

    def render(self, path: str) -> bytes | None:
        self.client.cookies.clear()  # nothing a page sets may reach the next one
        try:
            response = self.client.get(path, secure=self.secure)
        except Exception as error:  # noqa: BLE001 - re-raised with the page that failed
            raise PublishError(f"{path}: {error.__class__.__name__}: {error}") from error
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return body if response.status_code == 200 else None

    def render_all(self, paths: list[str]) -> dict[PurePosixPath, bytes]:
        # Not inside a transaction (a test's): the processes could not see its rows, and closing the
        # connection before the fork would end it.
        parallel = self.processes > 1 and len(paths) >= PARALLEL_FROM and not connection.in_atomic_block
        if parallel:
            rendered = self.pool().imap(partial(_render_in_child, self.url), paths, chunksize=4)
        else:
            rendered = ((path, self.render(path)) for path in paths)
        return {file_for(path): body for path, body in rendered if body is not None}

    def pool(self):
        if self._pool is None:
            # A forked child must not share the parent's database connection: each opens its own.
            connections.close_all()
            self._pool = multiprocessing.get_context("fork").Pool(self.processes)
        return self._pool


PARALLEL_FROM = 32  # fewer pages are rendered faster than they are handed to the processes
_child_renderer: Renderer | None = None


def _render_in_child(url: str, path: str) -> tuple[str, bytes | None]:
    global _child_renderer
    if _child_renderer is None:
        _child_renderer = Renderer(url)
    close_old_connections()  # a long-lived worker: replace a connection the database dropped
    return path, _child_renderer.render(path)


# --- Writing -------------------------------------------------------------------------------------------


def write_file(root: Path, relative: PurePosixPath, content: bytes) -> bool:
    """Write one file atomically (temporary name in the same directory, then rename); False if unchanged."""
    target = root / relative
    try:
        if target.read_bytes() == content:
            return False
    except (FileNotFoundError, NotADirectoryError):
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from the web server's user
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def files_under(root: Path, directories: Iterable[Path]) -> set[PurePosixPath]:
    """Every file below the directories, relative to root (temporary leftovers included)."""
    found = set()
    for directory in directories:
        for folder, _, names in os.walk(directory):
            found.update(PurePosixPath(Path(folder, name).relative_to(root).as_posix()) for name in names)
    return found


def remove_files(root: Path, relatives: Iterable[PurePosixPath]) -> int:
    removed = 0
    for relative in relatives:
        (root / relative).unlink(missing_ok=True)
        removed += 1
    return removed


def remove_empty_directories(directories: Iterable[Path]) -> None:
    for directory in directories:
        for folder, _, _ in sorted(os.walk(directory), key=lambda entry: -len(entry[0])):
            try:
                os.rmdir(folder)
            except OSError:  # not empty (or gone): it holds pages
                pass


@dataclass
class Outcome:
    """What a rebuild did: relative file paths written and removed, municipalities that failed."""

    written: list[PurePosixPath] = field(default_factory=list)
    unchanged: int = 0
    removed: list[PurePosixPath] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # municipality slug (or INDEX_PAGES) -> the error

    def add(self, other: "Outcome") -> None:
        self.written += other.written
        self.unchanged += other.unchanged
        self.removed += other.removed
        self.failed.update(other.failed)


def loose_files(root: Path) -> set[PurePosixPath]:
    """Files directly in root and in each language's directory (en/index.html, robots.txt…)."""
    found = set()
    for base in [root, *(root / language for language in prefixed_languages())]:
        if base.is_dir():
            found |= {PurePosixPath(p.relative_to(root).as_posix()) for p in base.iterdir() if p.is_file()}
    return found - {PurePosixPath(LOCK_NAME)}


def sync(root: Path, files: dict[PurePosixPath, bytes], directories: list[Path], loose: bool = False) -> Outcome:
    """Make the directories (with loose, also root's and en/'s own files) hold exactly these files."""
    outcome = Outcome()
    for relative, content in files.items():
        if write_file(root, relative, content):
            outcome.written.append(relative)
        else:
            outcome.unchanged += 1
    present = files_under(root, [d for d in directories if d.is_dir()]) | (loose_files(root) if loose else set())
    outcome.removed = sorted(present - set(files))
    remove_files(root, outcome.removed)
    remove_empty_directories(directories)
    return outcome


def publish_municipality(root: Path, renderer: Renderer, municipality: Municipality) -> Outcome:
    """Rewrite one municipality's pages; remove them all when it has no published plan."""
    files = renderer.render_all(municipality_paths(municipality))
    return sync(root, files, municipality_directories(root, municipality.slug))


def publish_index(root: Path, renderer: Renderer) -> Outcome:
    """Rewrite the cross-municipality pages (home, compare, prefectures, sitemap index, robots.txt)."""
    files = renderer.render_all(index_paths())
    return sync(root, files, index_directories(root), loose=True)


def prune(root: Path) -> list[PurePosixPath]:
    """Remove the directories of municipalities that no longer publish (or were renamed)."""
    keep = set(published_municipalities().values_list("slug", flat=True)) | set(INDEX_DIRECTORIES) | set(languages())
    removed = []
    for base in [root, *(root / language for language in prefixed_languages())]:
        if not base.is_dir():
            continue
        for entry in base.iterdir():
            if entry.is_dir() and entry.name not in keep:
                removed += sorted(files_under(root, [entry]))
                shutil.rmtree(entry)
    return removed


@contextmanager
def publishing(root: Path):
    """One writer at a time per directory (a second waits): two could write an older render last."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


Progress = Callable[[int, int], None]


def publish(
    root: Path,
    municipalities: list[Municipality],
    renderer: Renderer,
    progress: Progress | None = None,
    everything: bool = False,
) -> Outcome:
    """Rewrite the given municipalities' pages and the cross-municipality pages, remove the
    directories of municipalities that no longer publish, and take the municipalities' requests off
    the queue (``plans.publication``; with everything, every request read before the rebuild).

    A municipality whose page fails to render keeps its old files and its request, and is named in
    ``failed``; the others go on. If an index page fails, the index pages keep their old files and
    every request stays queued. A request renewed while the files were written stays queued.
    """
    outcome = Outcome()
    with publishing(root):
        requests = pending_requests()
        for done, municipality in enumerate(municipalities, 1):
            try:
                outcome.add(publish_municipality(root, renderer, municipality))
            except PublishError as error:
                outcome.failed[municipality.slug] = str(error)
            if progress:
                progress(done, len(municipalities))
        try:
            outcome.add(publish_index(root, renderer))
        except PublishError as error:
            outcome.failed[INDEX_PAGES] = str(error)
        outcome.removed += prune(root)
        served = requests if everything else {m.pk: requests[m.pk] for m in municipalities if m.pk in requests}
        if INDEX_PAGES in outcome.failed:
            served = {}  # every request stays, so the next round writes the index pages again
        failed = {m.pk for m in municipalities if m.slug in outcome.failed}
        remove_requests(done={pk: at for pk, at in served.items() if pk not in failed})
    return outcome


def publish_all(root: Path, renderer: Renderer, progress: Progress | None = None) -> Outcome:
    """A full rebuild: every publishing municipality and the index pages; nothing else stays in root."""
    return publish(root, list(published_municipalities()), renderer, progress, everything=True)


def drain(root: Path, renderer: Renderer, progress: Progress | None = None) -> Outcome | None:
    """Rebuild the municipalities the write paths queued (plans.publication) and the index pages;
    None when nothing is queued."""
    queued = pending_requests()
    if not queued:
        return None
    return publish(root, list(Municipality.objects.filter(pk__in=queued).order_by("code")), renderer, progress)


# --- Checking ------------------------------------------------------------------------------------------


@dataclass
class Differences:
    stale: list[PurePosixPath]
    missing: list[PurePosixPath]
    extra: list[PurePosixPath]

    def __bool__(self) -> bool:
        return bool(self.stale or self.missing or self.extra)


def check(
    root: Path, renderer: Renderer, municipalities: list[Municipality] | None = None, progress: Progress | None = None
) -> Differences:
    """Compare the files with a fresh render: of the given municipalities and the index pages, or of all."""
    everything = municipalities is None
    if everything:
        municipalities = list(Municipality.objects.order_by("code"))
    expected: dict[PurePosixPath, bytes] = {}
    places = index_directories(root)
    with publishing(root):
        for done, municipality in enumerate(municipalities, 1):
            expected.update(renderer.render_all(municipality_paths(municipality)))
            places += municipality_directories(root, municipality.slug)
            if progress:
                progress(done, len(municipalities))
        expected.update(renderer.render_all(index_paths()))
        present = files_under(root, [root] if everything else [d for d in places if d.is_dir()])
        if not everything:
            present |= loose_files(root)
        present.discard(PurePosixPath(LOCK_NAME))
        stale = sorted(f for f in present & set(expected) if (root / f).read_bytes() != expected[f])
    return Differences(stale=stale, missing=sorted(set(expected) - present), extra=sorted(present - set(expected)))
