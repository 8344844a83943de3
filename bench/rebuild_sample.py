"""How long a full static rebuild takes at national scale, from a sample (issue 21's "1,741 municipalities
in under 30 minutes"): a real `publish_static --all` at 1,741 takes hours on 2 cores, so this times
`publish_static --municipality` for a sample of municipalities spread over the code range, and the index
pages alone, in the database `make bench` loads for that scale, and extrapolates.

    python bench/rebuild_sample.py [--database postgres] [--scale 1741] [--sample 30] [--processes 2]

It prints one JSON line: seconds and files for the sample and for the index pages, seconds per
municipality, and the estimate for every municipality plus the index pages once.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PUBLIC_URL, PYTHON, ROOT, prepare, production_env  # noqa: E402

SLUGS = """
import json
from dxportal.public.static_site import published_municipalities
print(json.dumps([m.slug for m in published_municipalities()]))
"""


def slugs(url: str) -> list[str]:
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SLUGS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def publish(url: str, root: Path, args: list[str]) -> tuple[float, int]:
    env = {**production_env(url, cached=False), "STATIC_PUBLISH_ROOT": str(root), "STATIC_PUBLISH_URL": PUBLIC_URL}
    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", "publish_static", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    files = sum(1 for path in root.rglob("*") if path.is_file() and not path.name.startswith("."))
    return time.perf_counter() - started, files


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="postgres")
    parser.add_argument("--scale", type=int, default=1741)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    url, loaded = prepare(options.database, options.scale)
    every = slugs(url)
    step = max(len(every) // options.sample, 1)
    sample = every[::step][: options.sample]
    processes = ["--processes", str(options.processes)]
    # The index pages alone: publishing one municipality writes them too, so time one small one first.
    root = Path(tempfile.mkdtemp(prefix="dxportal-rebuild-"))
    try:
        index_seconds, index_files = publish(url, root, ["--municipality", sample[0], *processes])
        shutil.rmtree(root)
        root.mkdir()
        seconds, files = publish(url, root, [arg for slug in sample for arg in ("--municipality", slug)] + processes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    # The sample's run wrote the index pages once as well; per municipality is what is left.
    per_municipality = (seconds - index_seconds) / (len(sample) - 1)
    result = {
        "database": options.database,
        "municipalities": len(every),
        "loaded": loaded,
        "sample": len(sample),
        "processes": options.processes,
        "sample_seconds": round(seconds, 1),
        "sample_files": files,
        "one_municipality_and_index_seconds": round(index_seconds, 1),
        "one_municipality_and_index_files": index_files,
        "seconds_per_municipality": round(per_municipality, 2),
        "estimated_full_rebuild_minutes": round((index_seconds + per_municipality * (len(every) - 1)) / 60, 1),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
