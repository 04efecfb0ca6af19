"""Staff permissions, the PostgreSQL guard that every journal transaction sums to zero, and the
periodic tasks (T+1 settlement, grant reclaim) as django-celery-beat rows staff can edit."""

from django.db import migrations

from busanhub.accounts.roles import grant_app_permissions

# A deferred constraint trigger: checked at COMMIT, once every posting of the transaction is in.
BALANCED_SQL = """
CREATE OR REPLACE FUNCTION vouchers_check_balanced() RETURNS trigger AS $$
BEGIN
    IF (SELECT COALESCE(SUM(amount), 0) FROM vouchers_posting
        WHERE transaction_id = NEW.transaction_id) <> 0 THEN
        RAISE EXCEPTION 'vouchers journal transaction % does not sum to zero',
            NEW.transaction_id USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER vouchers_posting_balanced
    AFTER INSERT OR UPDATE ON vouchers_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vouchers_check_balanced();
"""
UNBALANCED_SQL = """
DROP TRIGGER IF EXISTS vouchers_posting_balanced ON vouchers_posting;
DROP FUNCTION IF EXISTS vouchers_check_balanced();
"""

TASKS = [
    ("Vouchers: T+1 settlement and daily close", "vouchers.tasks.settle_previous_day", "1"),
    ("Vouchers: reclaim expired grants", "vouchers.tasks.reclaim_expired_grants", "2"),
]


def balanced_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED_SQL, params=None)


def balanced_guard_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNBALANCED_SQL, params=None)


def grant(apps, schema_editor):
    grant_app_permissions(apps, schema_editor, group_name="staff-vouchers", app_labels=["vouchers"])
    grant_app_permissions(
        apps, schema_editor, group_name="auditor", app_labels=["vouchers"], view_only=True
    )


def schedule(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, hour in TASKS:
        crontab, _ = crontab_model.objects.get_or_create(
            minute="5",
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Seoul",
        )
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
        )


def unschedule(apps, schema_editor):
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(name__in=[name for name, _, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0001_initial"),
        ("accounts", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(balanced_guard, balanced_guard_remove),
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(schedule, unschedule),
    ]
