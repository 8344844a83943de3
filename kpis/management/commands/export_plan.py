import json
import sys

from django.core.management.base import BaseCommand, CommandError

from kpis.interchange.exporter import export_plan
from plans.models import Plan


class Command(BaseCommand):
    help = "Write a plan's interchange document (JSON) to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("municipality")
        parser.add_argument("plan")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, municipality, plan, output, **options):
        try:
            plan_obj = Plan.objects.select_related("municipality", "replaces").get(
                municipality__slug=municipality, slug=plan
            )
        except Plan.DoesNotExist:
            raise CommandError(f"no plan '{plan}' of municipality '{municipality}'") from None
        text = json.dumps(export_plan(plan_obj), ensure_ascii=False, indent=1) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
