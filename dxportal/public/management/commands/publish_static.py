"""publish_static: write the public pages as files under STATIC_PUBLISH_ROOT (docs/deploy.md).

manage.py publish_static --all                     every publishing municipality and the index pages
manage.py publish_static --municipality noshiro    one municipality (slug or code) and the index pages
manage.py publish_static --drain                   what the write paths queued, then exit
manage.py publish_static --watch [--interval 2]    the same, every few seconds, until stopped
manage.py publish_static --check [--municipality noshiro]
                                                   list files that differ from a fresh render; exit 1 if any
"""

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.db.models import Q

from dxportal.public import static_site
from kpis.sheets.progress import ProgressBar
from plans.models import Municipality


class Command(BaseCommand):
    help = (
        "Write every public page (both languages), plan.json/plan.csv, the sitemaps and robots.txt as files "
        "under STATIC_PUBLISH_ROOT, as the views render them; or check the files against a fresh render."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--municipality", action="append", default=[], metavar="SLUG", help="slug or code; repeatable"
        )
        parser.add_argument("--all", action="store_true", help="every municipality (a full rebuild)")
        parser.add_argument("--drain", action="store_true", help="rebuild what the write paths queued, then exit")
        parser.add_argument("--watch", action="store_true", help="drain the queue every --interval seconds")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between queue polls (--watch)")
        parser.add_argument("--check", action="store_true", help="compare the files with a fresh render; exit 1")
        parser.add_argument(
            "--processes", type=int, default=os.cpu_count() or 1, help="render with this many processes (CPUs)"
        )

    def handle(self, *args, municipality, all, drain, watch, interval, check, processes, **options):
        modes = [name for name, on in (("--municipality", municipality), ("--all", all), ("--drain", drain)) if on]
        modes += ["--watch"] if watch else []
        if check and (all or drain or watch):
            raise CommandError("--check goes alone or with --municipality")
        if not check and len(modes) != 1:
            raise CommandError("choose one of --all, --municipality SLUG, --drain, --watch (or --check)")
        if not settings.STATIC_PUBLISH_ROOT:
            raise CommandError("STATIC_PUBLISH_ROOT is not set: static publication is off (docs/deploy.md)")
        root = Path(settings.STATIC_PUBLISH_ROOT).resolve()
        chosen = self.find(municipality) if municipality else None
        with static_site.Renderer(processes=max(processes, 1)) as renderer:
            if check:
                return self.check_files(root, renderer, chosen)
            if watch:
                return self.watch(root, renderer, interval)
            return self.publish(root, renderer, chosen, drain, all)

    def publish(self, root: Path, renderer, chosen, drain: bool, all: bool) -> None:
        started = time.perf_counter()
        if drain:
            outcome = static_site.drain(root, renderer, self.progress("queued"))
        elif all:
            outcome = static_site.publish_all(root, renderer, self.progress("municipalities"))
        else:
            outcome = static_site.publish(root, chosen, renderer, self.progress("municipalities"))
        self.report(outcome, time.perf_counter() - started)
        if outcome and outcome.failed:
            raise CommandError(f"not published: {', '.join(outcome.failed)}; their old files stay")

    def find(self, keys: list[str]) -> list[Municipality]:
        found = []
        for key in keys:
            municipality = Municipality.objects.filter(Q(slug=key) | Q(code=key)).first()
            if municipality is None:
                raise CommandError(f"no municipality with slug or code {key!r}")
            found.append(municipality)
        return found

    def progress(self, label: str):
        return ProgressBar(self.stderr, label) if self.stderr.isatty() else None

    def report(self, outcome, seconds: float) -> None:
        if outcome is None:
            self.stdout.write("nothing queued")
            return
        self.stdout.write(
            f"files written: {len(outcome.written)}, unchanged: {outcome.unchanged}, "
            f"removed: {len(outcome.removed)} ({seconds:.1f} s)"
        )
        for slug, error in outcome.failed.items():
            self.stderr.write(f"{slug}: not published: {error}")

    def check_files(self, root: Path, renderer, chosen) -> None:
        differences = static_site.check(root, renderer, chosen, self.progress("checked"))
        for kind in ("stale", "missing", "extra"):
            for relative in getattr(differences, kind):
                self.stdout.write(f"{kind}: {relative}")
        if differences:
            counts = ", ".join(f"{len(getattr(differences, k))} {k}" for k in ("stale", "missing", "extra"))
            raise CommandError(f"the files differ from the pages Django renders now: {counts}")
        self.stdout.write("the files are what Django renders now")

    def watch(self, root: Path, renderer, interval: float) -> None:
        self.stdout.write(f"publishing queued municipalities to {root} every {interval:g} s (Ctrl-C stops)")
        try:
            while True:
                close_old_connections()  # a long-lived worker: replace a connection the database dropped
                started = time.perf_counter()
                outcome = static_site.drain(root, renderer)
                if outcome is not None:
                    self.report(outcome, time.perf_counter() - started)
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
