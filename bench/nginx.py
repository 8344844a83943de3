"""The nginx block of docs/deploy.md ("Static publication"), run unprivileged on a free port.

Used by `make bench` (pages from the published files next to the cached Django pages) and by
tests/test_static_publication.py (the documented headers are Django's), so the configuration they
exercise is the one operators copy.

    with serve(root, port, django_port) as base_url:    # nginx -p <temp dir>, stopped on exit
        urllib.request.urlopen(base_url + "/noshiro/")
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy.md"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def documented_block(text: str | None = None) -> str:
    """The ```nginx block of the static publication section of docs/deploy.md."""
    text = DEPLOY.read_text(encoding="utf-8") if text is None else text
    section = text.split("## 12. Static publication", 1)[1]
    return re.search(r"```nginx\n(.*?)```", section, re.S).group(1)


def headers_added(block: str) -> dict[str, str]:
    """``add_header Name "value" always;`` lines with a constant value: name -> value."""
    return dict(re.findall(r'^\s*add_header\s+([\w-]+)\s+"([^"]*)"\s+always;', block, re.M))


def runnable(block: str, root: Path, port: int, django_port: int) -> str:
    """The documented block with this machine's directory and ports, plain HTTP on loopback."""
    block = re.sub(r"root /srv/dxportal/public;", f"root {root};", block)
    block = re.sub(r"listen 443 ssl;", f"listen 127.0.0.1:{port};", block)
    return re.sub(r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{django_port};", block)


def available() -> bool:
    return Path(NGINX).exists()


@contextmanager
def serve(root: Path, port: int, django_port: int, extra: str = "", workers: int = 1):
    """nginx with the documented block (plus `extra` server blocks) in a temporary prefix."""
    prefix = Path(tempfile.mkdtemp(prefix="dxportal-nginx-"))
    temps = " ".join(
        f"{kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        # As root, nginx's workers would run as nobody, who cannot enter a private temporary directory.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes {workers};\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 4096; }\n"
        f"http {{\n    access_log off;\n    {temps}\n{runnable(documented_block(), root, port, django_port)}\n{extra}\n}}\n"
    )
    server = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers (a 502 when no Django runs behind it and nothing is written yet)
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"nginx did not start: {server.stderr.read().decode()}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)
