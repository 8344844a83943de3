import os

from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "dx-portal-demo-2026"


class Command(BaseCommand):
    help = "Create (or reset) the demo HQ user and demo department user for a local portal, and print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD))

    @transaction.atomic
    def handle(self, *args, password, **options):
        from django.conf import settings

        if settings.PRODUCTION:
            raise CommandError("demo users are for development machines only")
        hq, _ = Group.objects.get_or_create(name="DX推進本部")
        hq.permissions.set(Permission.objects.filter(content_type__app_label__in=["plans", "measures", "kpis"]))
        staff, _ = Group.objects.get_or_create(name="担当課")
        staff.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["plans", "measures", "kpis"], codename__startswith="view_"
            )
            | Permission.objects.filter(codename="change_indicatorvalue")
        )
        for username, group in (("demo-hq", hq), ("demo-dept", staff)):
            user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.set([group])
            self.stdout.write(f"demo login ({group.name}): {username} / {password}")
