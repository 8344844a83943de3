from django.core.management.base import BaseCommand

from kpis.sheets.commands import check_year, find_plan
from kpis.sheets.progress import ProgressBar
from kpis.sheets.review import build_review_workbook


class Command(BaseCommand):
    help = "Write the review workbook (目標達成状況, section Ⅲ, 取組一覧, one sheet per measure) of a plan year."

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="municipality slug or code, e.g. noshiro or 052027")
        parser.add_argument("plan", help="plan slug")
        parser.add_argument("--fy", type=int, required=True, help="fiscal year reviewed, e.g. 2024")
        parser.add_argument("-o", "--output", required=True, help=".xlsx file to write")

    def handle(self, *args, municipality, plan, fy, output, **options):
        plan_obj = find_plan(municipality, plan)
        check_year(plan_obj, fy)
        with open(output, "wb") as stream:
            build_review_workbook(plan_obj, fy, stream, progress=ProgressBar(self.stderr, "取組シート"))
        self.stdout.write(f"{output}: {plan_obj} {fy}")
