"""Linked bank accounts are the platform's (busanhub.bank 0002): vouchers forgets the model (state
only, the table and its rows stay) and its top-ups point at bank.BankLink, the same table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0006_pool_shards_derived_merchant_balance_monthly_cashback"),
        ("bank", "0002_banklink_moved_from_vouchers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="topup",
                    name="bank_link",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="topups",
                        to="bank.banklink",
                    ),
                ),
                migrations.DeleteModel(name="BankLink"),
            ],
        ),
    ]
