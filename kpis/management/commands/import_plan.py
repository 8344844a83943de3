import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.interchange.importer import import_plan
from kpis.interchange.validation import PlanDocumentError


class Command(BaseCommand):
    help = "Create or update plans from interchange documents (JSON); each file is all-or-nothing."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files, **options):
        failed = []
        for path in files:
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                failed.append(f"{path}: file not found")
                continue
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                failed.append(f"{path}: not a JSON document ({error})")
                continue
            try:
                result = import_plan(document)
            except PlanDocumentError as error:
                failed.append("\n".join(f"{path}: {where}: {message}" for where, message in error.errors))
                continue
            plan = result.plan
            verdict = (
                "unchanged"
                if not result.changed
                else (f"{result.created} created, {result.updated} updated, {result.deleted} deleted")
            )
            self.stdout.write(f"{path}: {plan.municipality.slug}/{plan.slug}: {verdict}")
        if failed:
            raise CommandError("nothing was written for these files:\n" + "\n".join(failed))
