"""KRW transfers move to proven bank links (busanhub.bank.BankLink) and get staff approval.

Data (0013): every transfer gets its owner (its BankAccount's). The exchange's BankAccount rows are
typed strings nobody proved, so none becomes a link: they stay as the history of the old
transfers, and the customer links and verifies an account before the next KRW transfer.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bank", "0003_banklink_table_renamed"),
        ("exchange", "0011_fewer_trade_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="banktransfer",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="banktransfer",
            name="bank_link",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="bank.banklink",
            ),
        ),
        migrations.AddField(
            model_name="banktransfer",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="banktransfer",
            name="bank_account",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="exchange.bankaccount",
            ),
        ),
        migrations.AlterField(
            model_name="banktransfer",
            name="status",
            field=models.CharField(
                choices=[
                    ("approval", "Awaiting staff approval"),
                    ("pending", "Pending"),
                    ("completed", "Completed"),
                    ("failed", "Failed"),
                    ("rejected", "Rejected and refunded"),
                ],
                default="pending",
                max_length=9,
            ),
        ),
        migrations.AddIndex(
            model_name="banktransfer",
            index=models.Index(fields=["owner", "-created_at"], name="exchange_bank_owner_recent"),
        ),
        migrations.AddConstraint(
            model_name="banktransfer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("bank_link__isnull", False), ("bank_account__isnull", False), _connector="OR"
                ),
                name="exchange_bank_transfer_has_account",
            ),
        ),
    ]
