"""A database guard for the double-entry rule on PostgreSQL (a deferred constraint trigger:
every journal entry's postings sum to zero per asset at commit), and the exchange's periodic
tasks as django-celery-beat rows that staff can edit in the admin."""

from django.db import migrations

BALANCED_SQL = """
CREATE OR REPLACE FUNCTION exchange_check_balanced() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM exchange_posting WHERE entry_id = NEW.entry_id
               GROUP BY asset_id HAVING SUM(amount) <> 0) THEN
        RAISE EXCEPTION 'exchange journal entry % does not sum to zero', NEW.entry_id
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER exchange_posting_balanced
    AFTER INSERT OR UPDATE ON exchange_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION exchange_check_balanced();
"""
UNBALANCED_SQL = """
DROP TRIGGER IF EXISTS exchange_posting_balanced ON exchange_posting;
DROP FUNCTION IF EXISTS exchange_check_balanced();
"""

TASKS = [
    ("Exchange: scan deposits", "exchange.tasks.scan_deposits", 15),
    ("Exchange: send and settle withdrawals", "exchange.tasks.send_approved_withdrawals", 30),
    ("Exchange: settle pending bank transfers", "exchange.tasks.settle_bank_transfers", 60),
    ("Exchange: proof of liabilities snapshot", "exchange.tasks.snapshot_liabilities", 86_400),
]


def balanced_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED_SQL, params=None)


def balanced_guard_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNBALANCED_SQL, params=None)


def schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds in TASKS:
        interval, _ = interval_model.objects.get_or_create(every=seconds, period="seconds")
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )


def unschedule(apps, schema_editor):
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(name__in=[name for name, _, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0002_staff_permissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(balanced_guard, balanced_guard_remove),
        migrations.RunPython(schedule, unschedule),
    ]
