"""Load at start-up what Django would otherwise load on a worker's first request.

gunicorn imports the app once in its master (``preload_app``) and forks the workers from it, but
Django loads the URLconf (and with it every view module), the translation catalogues, the compiled
templates and redis-py lazily, on first use, so each worker paid for them on
its first request: 150 ms for a cached page, of which 100 ms was importing redis-py
(docs/performance.md). Workers are recycled every few thousand requests (``max_requests``) and, under
an even load, within a second or two of each other, so that cost reached the p99 of cached pages.
Loaded before the fork, it is shared by every worker, recycled ones included.

Nothing here opens a connection: a socket opened before the fork would be shared by every worker.
"""

from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.template import engines
from django.urls import resolve, reverse
from django.utils import translation


def project_templates() -> list[str]:
    """The names of the project's own templates (the ``DIRS`` of the Django template engine)."""
    names = []
    for directory in engines["django"].engine.dirs:
        root = Path(directory)
        names += sorted(str(path.relative_to(root)) for path in root.rglob("*.html"))
    return names


def warm_up() -> None:
    if isinstance(caches["default"], RedisCache):
        import_module("redis")  # Django imports it on the first cache call; the pool connects later
    resolve("/")  # imports the URLconf and every view module
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            reverse("home")  # the resolver's reverse index is built per language
    engine = engines["django"]
    for name in project_templates():
        engine.get_template(name)  # compiled into the cached loader
