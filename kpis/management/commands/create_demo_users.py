import os

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from plans.models import Department, HQMembership, Municipality, StaffMembership

DEMO_PASSWORD = "dx-portal-demo-2026"

# (username, municipality code, department name or None for HQ). Noshiro's 地域情報課 owns 22 measures with
# 12 numeric KPIs; the Katagami pair shows that one municipality's people see nothing of another's.
DEMO_USERS = [
    ("demo-hq", "052027", None),
    ("demo-dept", "052027", "地域情報課"),
    ("demo-hq-katagami", "052116", None),
    ("demo-dept-katagami", "052116", "総務課"),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo HQ and department users for a local portal, and print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD))

    @transaction.atomic
    def handle(self, *args, password, **options):
        from django.conf import settings

        if settings.PRODUCTION:
            raise CommandError("demo users are for development machines only")
        for username, code, department_name in DEMO_USERS:
            municipality = Municipality.objects.filter(code=code).first()
            if municipality is None:
                self.stderr.write(f"skipped {username}: municipality {code} not imported (run import_plan first)")
                continue
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff, user.is_superuser = True, False
            user.set_password(password)
            user.save()
            user.groups.clear()  # roles are memberships now, not groups
            user.staff_memberships.all().delete()
            user.hq_memberships.all().delete()
            if department_name is None:
                HQMembership.objects.create(user=user, municipality=municipality)
                role = f"{municipality.name} DX推進本部"
            else:
                department = Department.objects.get(municipality=municipality, name=department_name)
                StaffMembership.objects.create(user=user, department=department)
                role = f"{municipality.name} {department.name}"
            self.stdout.write(f"demo login ({role}): {username} / {password}")
