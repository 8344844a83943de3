from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.limits import file_size_problem
from kpis.sheets.actuals import STATE_LABELS, UNCHANGED, import_actuals
from kpis.sheets.commands import find_user
from kpis.sheets.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Import a filled-in actuals template (.xlsx or .csv) as --user: every row is checked first; "
        "nothing is written if any row is wrong, otherwise all rows in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the filled-in template (.xlsx, or .csv saved from it)")
        parser.add_argument(
            "--fy", type=int, help="fiscal year the actuals are for (default: the template's; another year is refused)"
        )
        parser.add_argument(
            "--user", required=True, help="whose permissions apply and who is recorded in the audit history"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and show the changes, write nothing")
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="write values with plausibility warnings too, recorded as confirmed against them",
        )

    def handle(self, *args, file, fy, user, dry_run, accept_warnings, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"ファイル {file} が見つかりません")
        too_large = file_size_problem(path.stat().st_size)  # before reading it into memory
        if too_large:
            raise CommandError(f"{file}: {too_large}。何も書き込んでいません")
        user_obj = find_user(user)
        bar = ProgressBar(self.stderr, "取込")
        bar(0, 1)
        result = import_actuals(
            data=path.read_bytes(),
            fiscal_year=fy,
            user=user_obj,
            filename=path.name,
            dry_run=dry_run,
            accept_warnings=accept_warnings,
        )
        bar(1, 1)
        for row in result.rows:
            if row.entry is not None and not row.errors and row.state != UNCHANGED:
                before = row.before.actual_text if row.before else ""
                name = row.indicator.name if row.indicator else row.entry.indicator_id
                self.stdout.write(
                    f"{row.row.number}行目 {name}: 「{before}」→「{row.entry.actual_text.strip()}」"
                    f"（{STATE_LABELS[row.state]}）"
                )
        for message in result.warnings:
            self.stderr.write(message)
        if result.errors:
            for message in result.errors:
                self.stderr.write(message)
            raise CommandError(f"{len(result.errors)} 件のエラーがあるため、何も書き込んでいません")
        if not result.ok:
            raise CommandError(
                f"確認が必要な値が {len(result.warnings)} 件あるため、何も書き込んでいません。"
                "値を確かめ、正しければ --accept-warnings を付けて実行してください"
            )
        counts = result.counts()
        summary = "、".join(f"{STATE_LABELS[state]} {counts[state]} 行" for state in ("new", "changed", "unchanged"))
        self.stdout.write(f"試行のため書き込んでいません（{summary}）" if dry_run else f"書き込みました（{summary}）")
