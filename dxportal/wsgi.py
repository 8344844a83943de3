import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
application = get_wsgi_application()

# Before gunicorn forks its workers (preload_app), so they start with it (dxportal/warmup.py).
from dxportal.warmup import warm_up  # noqa: E402 - needs the apps loaded above

warm_up()
