"""Running totals of traded volume (TradedVolume, filled from the last 30 days of trades),
fewer index entries for the rows every placement and match writes, and the journal's balance
guard as one check per statement instead of one per posting row."""

import importlib
from datetime import UTC, timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

# Every writer inserts an entry's postings in one statement (entry_post's bulk_create, the
# placement and match statements), so the check can run when that statement ends: once per
# statement over the entries it touched, where the deferred row trigger ran a query per
# posting at commit. The entries are an array (an index scan on entry_id), not a join: the
# planner knows nothing of a transition table and would scan every posting.
BALANCED_SQL = """
DROP TRIGGER IF EXISTS exchange_posting_balanced ON exchange_posting;
CREATE OR REPLACE FUNCTION exchange_check_balanced() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM exchange_posting AS p
            WHERE p.entry_id = ANY (ARRAY(SELECT DISTINCT entry_id FROM new_postings))
            GROUP BY p.entry_id, p.asset_id HAVING SUM(p.amount) <> 0;
    ELSE
        PERFORM 1 FROM exchange_posting AS p
            WHERE p.entry_id = ANY (ARRAY(SELECT entry_id FROM new_postings
                                          UNION SELECT entry_id FROM old_postings))
            GROUP BY p.entry_id, p.asset_id HAVING SUM(p.amount) <> 0;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'an exchange journal entry does not sum to zero'
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER exchange_posting_balanced AFTER INSERT ON exchange_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_check_balanced();
CREATE TRIGGER exchange_posting_balanced_update AFTER UPDATE ON exchange_posting
    REFERENCING OLD TABLE AS old_postings NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_check_balanced();
"""
# Back to 0003's deferred row trigger.
ROW_TRIGGER_SQL = (
    """
DROP TRIGGER IF EXISTS exchange_posting_balanced ON exchange_posting;
DROP TRIGGER IF EXISTS exchange_posting_balanced_update ON exchange_posting;
"""
    + importlib.import_module("exchange.migrations.0003_balanced_journal_and_schedule").BALANCED_SQL
)


PRUNE_TASK = "Exchange: prune traded volume"


def schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=86_400, period="seconds")
    task_model.objects.get_or_create(
        name=PRUNE_TASK,
        defaults={
            "task": "exchange.tasks.prune_traded_volume",
            "interval": interval,
            "enabled": True,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=PRUNE_TASK).delete()


def statement_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED_SQL, params=None)


def row_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROW_TRIGGER_SQL, params=None)


def volumes_from_trades(apps, schema_editor):
    """Both sides of every trade of the last 30 days, per hour and per day."""
    trade_model = apps.get_model("exchange", "Trade")
    volume_model = apps.get_model("exchange", "TradedVolume")
    recent = trade_model.objects.filter(created_at__gte=timezone.now() - timedelta(days=31))
    totals = {}
    for side in ("maker_order__owner_id", "taker_order__owner_id"):
        for span, trunc in (("hour", TruncHour), ("day", TruncDay)):
            rows = (
                recent.annotate(
                    start=trunc("created_at", tzinfo=UTC), owner=F(side), asset=F("market__quote")
                )
                .values("owner", "asset", "start")
                .annotate(volume=Sum("notional"))
                .order_by()
            )
            for row in rows:
                key = (row["owner"], row["asset"], span, row["start"])
                totals[key] = totals.get(key, 0) + row["volume"]
    volume_model.objects.bulk_create(
        volume_model(owner_id=owner, asset_id=asset, span=span, start=start, volume=volume)
        for (owner, asset, span, start), volume in totals.items()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0006_order_requests_and_caps"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="market",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="exchange.market",
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="orderrequest",
            name="market",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="exchange.market",
            ),
        ),
        migrations.AlterField(
            model_name="posting",
            name="asset",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="exchange.asset",
            ),
        ),
        migrations.CreateModel(
            name="TradedVolume",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "span",
                    models.CharField(choices=[("hour", "Hour"), ("day", "Day")], max_length=4),
                ),
                ("start", models.DateTimeField()),
                ("volume", models.BigIntegerField(default=0)),
                (
                    "asset",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="exchange.asset",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("owner", "span", "start", "asset"), name="exchange_volume_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("volume__gte", 0)), name="exchange_volume_not_negative"
                    ),
                ],
            },
        ),
        migrations.RemoveConstraint(
            model_name="orderrequest",
            name="exchange_request_seq_once",
        ),
        migrations.AddConstraint(
            model_name="orderrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("seq__isnull", False)),
                fields=("market", "seq"),
                name="exchange_request_seq_once",
            ),
        ),
        migrations.RunPython(volumes_from_trades, migrations.RunPython.noop),
        migrations.RunPython(statement_guard, row_guard),
        migrations.RunPython(schedule, unschedule),
    ]
