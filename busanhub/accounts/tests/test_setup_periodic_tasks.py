from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from busanhub import registry, schedule

pytestmark = pytest.mark.django_db

FIELDS = ("name", "task", "interval_id", "crontab_id", "queue", "enabled", "description")


def rows() -> list[tuple]:
    return list(PeriodicTask.objects.order_by("name").values_list(*FIELDS))


def run() -> str:
    out = StringIO()
    call_command("setup_periodic_tasks", stdout=out)
    return out.getvalue()


def test_every_declared_task_is_a_registered_celery_task_and_none_is_forgotten():
    from django_celery_beat.models import PeriodicTask

    from busanhub.celery import app

    declared = registry.periodic_tasks()

    # Every task a migration scheduled (frozen history) is declared, so the command owns it.
    scheduled = set(PeriodicTask.objects.values_list("name", flat=True))
    assert scheduled - {spec.name for spec in declared} == set()
    assert schedule.tasks_unknown(declared=declared) == []
    assert all(spec.task in app.tasks for spec in declared)


def test_running_twice_gives_the_same_rows_and_adopts_the_migrations_rows(settings):
    # Given the rows the data migrations created
    settings.CHAIN_ANCHOR_INTERVAL_S = 42
    migrated = set(PeriodicTask.objects.values_list("name", flat=True))

    # When the command runs twice
    run()
    first = rows()
    second_output = run()

    # Then the second run changes nothing, and every declaration has exactly one row, ours
    assert rows() == first
    assert "created" not in second_output and "updated" not in second_output
    declared = {spec.name: spec for spec in registry.periodic_tasks()}
    assert {row[0] for row in first} == set(declared) | migrated
    assert set(declared) >= migrated
    for name, task, _, _, queue, enabled, description in first:
        assert (task, queue, enabled, description) == (
            declared[name].task,
            declared[name].queue,
            True,
            schedule.MANAGED,
        )
    anchoring = PeriodicTask.objects.get(name="Anchoring: seal pending leaves")
    assert (anchoring.interval.every, anchoring.interval.period) == (42, "seconds")
    settle = PeriodicTask.objects.get(task="vouchers.tasks.settle_previous_day")
    assert (settle.interval, settle.crontab.minute, settle.crontab.hour) == (None, "5", "1")
    assert str(settle.crontab.timezone) == "Asia/Seoul"


def test_the_schedule_is_reset_but_staffs_enabled_switch_is_kept():
    # Given staff paused a task and changed its interval, and created a task of their own
    run()
    paused = PeriodicTask.objects.get(name="Exchange: scan deposits")
    paused.enabled = False
    paused.interval = PeriodicTask.objects.get(name="Exchange: prune traded volume").interval
    paused.save()
    own = PeriodicTask.objects.create(
        name="Staff: one-off", task="exchange.tasks.scan_deposits", interval=paused.interval
    )

    # When the command runs
    output = run()

    # Then the interval is the code's again, the pause stays, staff's own task is untouched
    paused.refresh_from_db()
    assert (paused.enabled, paused.interval.every) == (False, 15)
    assert "updated: Exchange: scan deposits" in output
    assert PeriodicTask.objects.filter(pk=own.pk, description="", enabled=True).exists()


def test_a_removed_declaration_is_deleted_and_others_stay(monkeypatch):
    # Given the schedule set up
    run()
    before = rows()

    # When a declaration is gone from the code
    kept = {
        name: spec
        for name, spec in registry._periodic_tasks.items()
        if name != "Exchange: prune traded volume"
    }
    monkeypatch.setattr(registry, "_periodic_tasks", kept)
    output = run()

    # Then its row is deleted and nothing else changes
    assert "deleted: Exchange: prune traded volume" in output
    assert rows() == [row for row in before if row[0] != "Exchange: prune traded volume"]


def test_an_unknown_task_is_refused_and_nothing_changes(monkeypatch):
    run()
    before = rows()
    typo = registry.PeriodicTask(name="Exchange: typo", task="exchange.tasks.nope", every_s=60)
    monkeypatch.setattr(registry, "_periodic_tasks", {typo.name: typo})

    with pytest.raises(CommandError, match=r"exchange\.tasks\.nope"):
        run()
    assert rows() == before


def test_a_declaration_has_exactly_one_schedule():
    with pytest.raises(ValueError, match="exactly one"):
        registry.PeriodicTask(name="x", task="y")
    with pytest.raises(ValueError, match="exactly one"):
        registry.PeriodicTask(name="x", task="y", every_s=1, crontab=registry.Crontab())
