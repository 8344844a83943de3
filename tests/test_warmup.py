"""Start-up: the WSGI module loads before gunicorn forks what each worker would load on its first request."""

import json

from dxportal.warmup import project_templates
from tests.test_production import PRODUCTION_ENV, run

# Both unreachable (nothing listens on port 1): importing the app must not try to connect to either.
UNREACHABLE = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:1/dxportal",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}

PROBE = """
import json, sys
import dxportal.wsgi
from django.db import connections
from django.template import engines
from django.utils.translation import trans_real
cached = engines["django"].engine.template_loaders[0].get_template_cache
print(json.dumps({
    "modules": sorted(m for m in ("redis", "dxportal.public.views", "dxportal.public.measure", "dxportal.urls") if m in sys.modules),
    "languages": sorted(trans_real._translations),
    "templates": sorted(name for name, template in cached.items() if not isinstance(template, type)),
    "database_connected": connections["default"].connection is not None,
}))
"""


def test_importing_the_wsgi_app_loads_what_the_first_request_would_and_connects_to_nothing():
    result = run(["-c", PROBE], {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "dxportal.settings", **UNREACHABLE})
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["modules"] == ["dxportal.public.measure", "dxportal.public.views", "dxportal.urls", "redis"]
    assert loaded["languages"] == ["en", "ja"]
    assert loaded["templates"] == sorted(project_templates())
    assert {"base.html", "404.html", "plans/plan_detail.html", "measures/measure_detail.html"} <= set(
        loaded["templates"]
    )
    assert loaded["database_connected"] is False
