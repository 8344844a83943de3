from django.core.management.base import BaseCommand, CommandError

from plans.localgov import LocalGovernmentError, register_municipality


class Command(BaseCommand):
    help = (
        "Register a municipality by its 全国地方公共団体コード (name, prefecture and slug from the official list) "
        "and create its DX HQ user; prints the one-time link that sets the user's password."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="six digits with the check digit, e.g. 221309")
        parser.add_argument("--slug", default="", help="the public URL name (default: romanised from the kana)")
        parser.add_argument("--username", default="", help="the HQ user's name (default: <slug>-hq)")
        parser.add_argument("--email", default="", help="the HQ user's e-mail address")
        parser.add_argument(
            "--base-url", default="", help="site address to put before the link, e.g. https://dx.example.jp"
        )

    def handle(self, *args, code, slug, username, email, base_url, **options):
        try:
            registration = register_municipality(code=code, slug=slug, username=username, email=email)
        except LocalGovernmentError as error:
            raise CommandError(str(error)) from None
        municipality, user = registration.municipality, registration.user
        self.stdout.write(f"{municipality.code} {municipality}: スラッグ {municipality.slug}")
        self.stdout.write(f"DX推進本部のユーザー: {user.username}")
        self.stdout.write(
            f"パスワード設定用のリンク（1回限り）: {base_url.rstrip('/')}{registration.password_set_path}"
        )
