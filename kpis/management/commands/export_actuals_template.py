from django.core.management.base import BaseCommand, CommandError

from kpis.sheets.commands import check_year, find_plan, find_user
from kpis.sheets.progress import ProgressBar
from kpis.sheets.template import build_actuals_template
from plans.access import can_export


class Command(BaseCommand):
    help = "Write the actuals fill-in template of a plan year (all KPIs, or those --user may update)."

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="municipality slug or code")
        parser.add_argument("plan", help="plan slug")
        parser.add_argument("--fy", type=int, required=True, help="fiscal year to fill in, e.g. 2024")
        parser.add_argument("--user", help="only the KPIs this user may update (default: every KPI)")
        parser.add_argument("-o", "--output", required=True, help=".xlsx file to write")

    def handle(self, *args, municipality, plan, fy, user, output, **options):
        plan_obj = find_plan(municipality, plan)
        check_year(plan_obj, fy)
        user_obj = find_user(user)
        if user_obj is not None and not can_export(user_obj, plan_obj):
            raise CommandError(f"利用者「{user}」は「{plan_obj}」を出力できません")
        bar = ProgressBar(self.stderr, "テンプレート")
        bar(0, 1)
        with open(output, "wb") as stream:
            rows = build_actuals_template(plan_obj, fy, stream, user=user_obj)
        bar(1, 1)
        self.stdout.write(f"{output}: {rows} 指標")
