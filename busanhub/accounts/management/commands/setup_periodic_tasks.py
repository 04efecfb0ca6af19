"""`manage.py setup_periodic_tasks`: django-celery-beat's schedule, as the apps declare it.

Run after `migrate` on every deploy (and by `make run`). See busanhub/schedule.py for what it
owns and why staff's enabled/disabled switch survives it.
"""

from django.core.management.base import BaseCommand, CommandError

from busanhub import registry, schedule


class Command(BaseCommand):
    help = "Create, update and delete the periodic tasks the apps declare (idempotent)."

    def handle(self, *args, **options) -> None:
        try:
            changes = schedule.periodic_tasks_sync(declared=registry.periodic_tasks())
        except schedule.UnknownTaskError as error:
            raise CommandError(str(error)) from error
        for verb, names in (
            ("created", changes.created),
            ("updated", changes.updated),
            ("deleted", changes.deleted),
        ):
            for name in names:
                self.stdout.write(f"{verb}: {name}")
        total = len(registry.periodic_tasks())
        self.stdout.write(self.style.SUCCESS(f"{total} periodic tasks declared, schedule in step"))
