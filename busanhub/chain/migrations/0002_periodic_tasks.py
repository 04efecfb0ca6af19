"""The anchoring schedule, as django-celery-beat rows that staff can edit in the admin.

The interval comes from CHAIN_ANCHOR_INTERVAL_S when the migration runs (10 s in dev,
60 s by default elsewhere); afterwards the admin is where it changes.
"""

from django.conf import settings
from django.db import migrations

TASKS = [
    ("Anchoring: seal pending leaves", "busanhub.chain.tasks.seal_pending"),
    ("Anchoring: submit sealed batches", "busanhub.chain.tasks.submit_sealed"),
    ("Anchoring: confirm submitted batches", "busanhub.chain.tasks.confirm_submitted"),
]


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=settings.CHAIN_ANCHOR_INTERVAL_S, period="seconds"
    )
    for name, task in TASKS:
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "interval": interval, "queue": "anchoring", "enabled": True},
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chain", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
