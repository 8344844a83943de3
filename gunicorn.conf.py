"""gunicorn settings for the portal (docs/deploy.md). Every knob can be overridden from the environment.

gunicorn -c gunicorn.conf.py dxportal.wsgi
"""

import multiprocessing
import os

wsgi_app = "dxportal.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: every request is short and mostly served from the shared cache; 2×CPU+1 keeps the
# CPUs busy while some workers wait on PostgreSQL or Redis.
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
# A worker stuck longer than this (a runaway export, a lost database) is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound. Under an even load the
# workers reach max_requests together: a jitter of half of it spreads the restarts (measured: p99 of a
# cached page 40-44 ms with 2500, 57-60 ms with 500, 34 ms with no recycling; docs/performance.md).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2500"))

# Load Django once in the master: faster worker start, shared memory pages. Database connections are
# opened lazily per worker, after the fork, so none is shared.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes", "on")
# The heartbeat file lives in memory: a slow or full disk must not get healthy workers killed.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)

# gunicorn 24+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl): two instances
# on one host (a release and its successor, the benchmarks) would take it from each other. Off unless
# GUNICORN_CONTROL_SOCKET names a path of this instance's own.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# The reverse proxy terminates TLS and sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
# "-" is stderr: whatever runs gunicorn must read it (journald, docker). An unread pipe fills at
# 64 KiB and then every worker that logs a line (a 404 warning) blocks in write(): the site goes silent.
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Request time in microseconds (%(D)s) for latency monitoring.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s"'
