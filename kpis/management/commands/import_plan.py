from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.interchange.bounds import DocumentInputError, parse_document
from kpis.interchange.importer import import_plan
from kpis.interchange.validation import PlanDocumentError
from kpis.limits import file_size_problem
from plans.models import Plan


class Command(BaseCommand):
    help = (
        "Create or update plans from interchange documents (JSON); each file is all-or-nothing. A locked year "
        "changes only with --correction-reason, what staff entered in the portal goes only with "
        "--delete-missing, a municipality is renamed only with --rename-municipality."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--only-new",
            action="store_true",
            help="skip a file whose plan (municipality code and plan slug) is already in the database",
        )
        parser.add_argument(
            "--correction-reason",
            default="",
            metavar="TEXT",
            help="apply changes to locked years as corrections (訂正) with this reason, recorded and shown publicly",
        )
        parser.add_argument(
            "--delete-missing",
            action="store_true",
            help="allow removing actuals, notes, evidence and mark overrides entered in the portal (listed)",
        )
        parser.add_argument(
            "--rename-municipality",
            action="store_true",
            help="allow the document to change the name, prefecture or slug of the municipality of its code",
        )

    def handle(self, *args, files, only_new, correction_reason, delete_missing, rename_municipality, **options):
        failed = []
        for path in files:
            try:
                document = read(path)
            except DocumentInputError as error:
                failed.append(f"{path}: {error}")
                continue
            if only_new and plan_exists(document):
                self.stdout.write(f"{path}: {name_of(document)}: already imported, skipped (--only-new)")
                continue
            try:
                result = import_plan(
                    document,
                    correction_reason=correction_reason,
                    delete_missing=delete_missing,
                    rename_municipality=rename_municipality,
                )
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
            for line in result.renamed:
                self.stdout.write(f"{path}: {line}")
            for heading, lines in (("訂正", result.corrections), ("削除", result.removed)):
                for where, what in lines:
                    self.stdout.write(f"{path}: {heading}: {where}: {what}")
        if failed:
            raise CommandError("nothing was written for these files:\n" + "\n".join(failed))


def read(path: Path):
    """The file's JSON value; DocumentInputError when missing, too big (checked before reading) or not JSON."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentInputError("file not found") from None
    too_large = file_size_problem(size)
    if too_large:
        raise DocumentInputError(too_large)
    return parse_document(path.read_bytes())


def identity(document) -> tuple[str, str] | None:
    try:
        return str(document["municipality"]["code"]), str(document["plan"]["slug"])
    except (TypeError, KeyError):
        return None  # not a plan document: the import says what is wrong


def plan_exists(document) -> bool:
    found = identity(document)
    return found is not None and Plan.objects.filter(municipality__code=found[0], slug=found[1]).exists()


def name_of(document) -> str:
    return f"{document['municipality'].get('slug')}/{document['plan']['slug']}"
