from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.interchange.bounds import DocumentInputError
from kpis.interchange.importer import import_plan
from kpis.interchange.messages import describe_errors, semantic_message
from kpis.interchange.validation import PlanDocumentError
from kpis.limits import file_size_problem
from kpis.sheets.plan_reader import read_plan_file
from plans.models import Plan


class Command(BaseCommand):
    help = (
        "Create or update plans from interchange documents (JSON) or plan workbooks (.xlsx, export_plan_workbook); "
        "each file is all-or-nothing, its problems listed in Japanese (--lang en for English). A locked year "
        "changes only with --correction-reason, what staff entered in the portal goes only with "
        "--delete-missing, a municipality is renamed only with --rename-municipality."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of the problems listed")
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

    def handle(self, *args, files, only_new, correction_reason, delete_missing, rename_municipality, lang, **options):
        failed = []
        for path in files:
            try:
                reading = read_plan_file(path.name, read(path), lang=lang)
            except DocumentInputError as error:
                failed.append(f"{path}: {semantic_message(str(error), None, lang)}")
                continue
            if reading.problems:  # a workbook or a file that is no JSON: its own words, sheet and row
                failed.append("\n".join(f"{path}: {line}" for line in reading.problems))
                continue
            document = reading.document
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
                lines = describe_errors(error.errors, document, lang=lang, locator=reading.locator)
                failed.append("\n".join(f"{path}: {line}" for line in lines))
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
            heading = (
                "nothing was written for these files:"
                if lang == "en"
                else "次のファイルは取り込んでいません（何も書き込んでいません）:"
            )
            raise CommandError(heading + "\n" + "\n".join(failed))


def read(path: Path):
    """The file's bytes; DocumentInputError when missing or too big (checked before reading)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentInputError("file not found") from None
    too_large = file_size_problem(size)
    if too_large:
        raise DocumentInputError(too_large)
    return path.read_bytes()


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
