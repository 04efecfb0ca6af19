from datetime import timedelta

from django.core.management.base import BaseCommand

from safety.services.photo_sweep import GRACE, photo_files_sweep


class Command(BaseCommand):
    help = (
        "Removes report photo files that no photo row names and that are older than the grace "
        "period (also run nightly by beat: 'Safety: remove orphaned photo files')."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=int(GRACE.total_seconds() // 60),
            help="leave orphans younger than this (a filing in progress); default %(default)s",
        )
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")

    def handle(self, *args, grace_minutes: int, dry_run: bool, **options):
        result = photo_files_sweep(grace=timedelta(minutes=grace_minutes), dry_run=dry_run)
        for name in result.removed:
            self.stdout.write(("would remove " if dry_run else "removed ") + name)
        self.stdout.write(
            f"removed={0 if dry_run else len(result.removed)} orphans={len(result.removed)} "
            f"young={result.kept_young} named={result.named}"
        )
