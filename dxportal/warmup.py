"""Load at start-up what Django would otherwise load on a worker's first request.

gunicorn imports the app once in its master (``preload_app``) and forks the workers from it, but
Django loads the URLconf (and with it every view module), the translation catalogues, the compiled
templates and redis-py lazily, on first use: each worker's first request took 70–145 ms on a
cached page instead of 5–14 ms, 100 ms of it importing redis-py (docs/performance.md). Workers are
recycled every ~5,000 requests (``max_requests``), so some reader met that delay again and again.
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
