"""The periodic tasks in django-celery-beat, made to match what the apps declare.

The apps declare their tasks in code (`registry.ServiceConfig.periodic_tasks`); this module owns
the beat rows of those declarations: name, task, interval or crontab and queue are the code's,
reset on every run. `enabled` is the exception: it is the declaration's default only when a row
is created, and afterwards operations' switch in the admin, kept across deploys (a task paused
during an incident stays paused until someone turns it back on).

A row is ours when its description is `MANAGED` (or, once, when a declaration names a row an
old data migration created); rows that staff create in the admin are never touched, and a row of
ours whose declaration is gone is deleted.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from busanhub import registry

MANAGED = "Declared in code: manage.py setup_periodic_tasks resets all but 'enabled'."


@dataclass
class ScheduleChanges:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class UnknownTaskError(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(f"not registered Celery tasks: {', '.join(names)}")
        self.names = names


def tasks_unknown(*, declared: Iterable[registry.PeriodicTask]) -> list[str]:
    """The declared task names that no Celery task registers (after autodiscovery)."""
    from busanhub.celery import app

    app.loader.import_default_modules()
    return sorted({spec.task for spec in declared} - set(app.tasks))


def _interval(seconds: int) -> IntervalSchedule:
    # No unique constraint on beat's schedules: reuse the oldest equal one.
    found = IntervalSchedule.objects.filter(every=seconds, period=IntervalSchedule.SECONDS)
    return found.order_by("pk").first() or IntervalSchedule.objects.create(
        every=seconds, period=IntervalSchedule.SECONDS
    )


def _crontab(crontab: registry.Crontab) -> CrontabSchedule:
    fields = {
        "minute": crontab.minute,
        "hour": crontab.hour,
        "day_of_week": crontab.day_of_week,
        "day_of_month": crontab.day_of_month,
        "month_of_year": crontab.month_of_year,
        "timezone": crontab.timezone,
    }
    found = CrontabSchedule.objects.filter(**fields).order_by("pk").first()
    return found or CrontabSchedule.objects.create(**fields)


@transaction.atomic
def periodic_tasks_sync(*, declared: Iterable[registry.PeriodicTask]) -> ScheduleChanges:
    """Creates, updates and deletes our beat rows so they match `declared`. Atomic and
    idempotent: a second run changes nothing (and so does not make beat reload). Raises
    UnknownTaskError, changing nothing, when a declaration names no registered Celery task."""
    declared = list(declared)
    if unknown := tasks_unknown(declared=declared):
        raise UnknownTaskError(unknown)
    names = [spec.name for spec in declared]
    rows = {
        row.name: row
        for row in PeriodicTask.objects.select_for_update()
        .filter(Q(name__in=names) | Q(description=MANAGED))
        .order_by("name")
    }
    changes = ScheduleChanges()
    for spec in declared:
        seconds = spec.seconds
        wanted = {
            "task": spec.task,
            "interval_id": _interval(seconds).pk if seconds is not None else None,
            "crontab_id": _crontab(spec.crontab).pk if spec.crontab is not None else None,
            "queue": spec.queue,
            "description": MANAGED,
        }
        row = rows.pop(spec.name, None)
        if row is None:
            PeriodicTask(name=spec.name, enabled=spec.enabled, **wanted).save()
            changes.created.append(spec.name)
            continue
        differ = [name for name, value in wanted.items() if getattr(row, name) != value]
        if differ:
            for name in differ:
                setattr(row, name, wanted[name])
            row.save(update_fields=[*differ, "date_changed"])
            changes.updated.append(spec.name)
    for row in rows.values():  # ours, no longer declared
        row.delete()  # one by one: the model's delete() tells beat to reload
        changes.deleted.append(row.name)
    return changes
