import datetime

from django.core.management.base import BaseCommand, CommandError

from kpis.sheets.plan_workbook import plan_workbook, template_workbook
from plans.models import Municipality, Plan


def current_fiscal_year(today: datetime.date | None = None) -> int:
    today = today or datetime.date.today()
    return today.year if today.month >= 4 else today.year - 1


class Command(BaseCommand):
    help = (
        "Write the plan workbook (.xlsx, sheets in Japanese): an existing plan (MUNICIPALITY PLAN), or a blank "
        "template for a new plan (MUNICIPALITY alone, or nothing). Fill it in and bring it in with import_plan."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality", nargs="?", help="slug or 団体コード of the municipality")
        parser.add_argument("plan", nargs="?", help="slug of an existing plan")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--start-fy", type=int, help="blank template: first fiscal year (default: this one)")
        parser.add_argument("--end-fy", type=int, help="blank template: last fiscal year (default: start + 4)")

    def handle(self, *args, municipality, plan, output, start_fy, end_fy, **options):
        found = None
        if municipality:
            found = (
                Municipality.objects.filter(slug=municipality).first()
                or Municipality.objects.filter(code=municipality).first()
            )
            if found is None:
                raise CommandError(f"団体「{municipality}」は登録されていません（スラッグか団体コードで指定）")
        if plan:
            try:
                plan_obj = Plan.objects.select_related("municipality", "replaces").get(municipality=found, slug=plan)
            except Plan.DoesNotExist:
                raise CommandError(f"{found}に計画「{plan}」はありません") from None
            workbook = plan_workbook(plan_obj)
        else:
            start = start_fy or current_fiscal_year()
            end = end_fy or start + 4
            if end < start:
                raise CommandError(f"終了年度 {end} が開始年度 {start} より前です")
            workbook = template_workbook(found, start_fy=start, end_fy=end)
        workbook.save(output)
        self.stdout.write(f"{output}: {'計画 ' + plan if plan else '空の計画'}のワークブックを書き出しました")
