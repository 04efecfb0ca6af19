"""KRW transfers on proven links, second step: every transfer gets its owner (its BankAccount's),
then the owner is required."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def owners_fill(apps, schema_editor):
    transfer_model = apps.get_model("exchange", "BankTransfer")
    account_model = apps.get_model("exchange", "BankAccount")
    for account in account_model.objects.all().only("pk", "owner_id"):
        transfer_model.objects.filter(bank_account=account).update(owner_id=account.owner_id)
    # PostgreSQL alters no table with deferred foreign-key checks pending: run them now.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0012_krw_transfers_on_proven_bank_links"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(owners_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="banktransfer",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
