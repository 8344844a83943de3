from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from kpis.reminders import send_reminders
from kpis.workflow import current_entry_year
from plans.fiscal import label as fy_label
from plans.models import Plan


class Command(BaseCommand):
    help = (
        "E-mail each department the KPIs whose actual is still missing: for one plan and year, or for the "
        "open year of every published plan. Departments without an e-mail address are listed, not mailed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="municipality-slug/plan-slug (default: every published plan)")
        parser.add_argument("--fy", type=int, help="fiscal year (default: the plan's first open year)")
        parser.add_argument(
            "--base-url", default="", help="site address for the entry link, e.g. https://dx.example.jp"
        )
        parser.add_argument("--dry-run", action="store_true", help="list what would be sent without sending")

    def handle(self, *args, plan, fy, base_url, dry_run, **options):
        plans = Plan.objects.select_related("municipality")
        if plan:
            municipality, _, slug = plan.partition("/")
            plans = plans.filter(municipality__slug=municipality, slug=slug)
            if not plans:
                raise CommandError(f"no plan '{plan}' (use municipality-slug/plan-slug)")
        else:
            plans = plans.published()
        for plan_obj in plans:
            year = fy or current_entry_year(plan_obj)
            if not plan_obj.accepts_fiscal_year(year):
                raise CommandError(f"{year} is outside the period of {plan_obj}")
            url = f"{base_url.rstrip('/')}{reverse('admin:kpis_entry')}?plan={plan_obj.pk}&fy={year}"
            sent, skipped = send_reminders(plan_obj, year, entry_url=url, dry_run=dry_run)
            verb = "would mail" if dry_run else "mailed"
            for reminder in sent:
                self.stdout.write(
                    f"{plan_obj.municipality.slug}/{plan_obj.slug} {fy_label(year)}: {verb} {reminder.department} "
                    f"<{reminder.department.email}>: {len(reminder.missing)} KPIs missing"
                )
            for reminder in skipped:
                self.stderr.write(
                    f"{plan_obj.municipality.slug}/{plan_obj.slug} {fy_label(year)}: {reminder.department} has no "
                    f"e-mail address; {len(reminder.missing)} KPIs missing"
                )
