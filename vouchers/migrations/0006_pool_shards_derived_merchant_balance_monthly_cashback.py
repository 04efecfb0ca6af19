"""The incentive pool in shards, merchant balances derived from postings, and the monthly
cashback kept on each wallet's cashback account.

Data: merchant accounts' materialised balances are zeroed (their balance is now the sum of
their postings, which the ledger invariant says equals what the column held), and every
cashback account gets the net cashback of this month's payments, which the monthly cap used
to add up on each payment.
"""

from django.db import migrations, models
from django.db.models import F, Sum
from django.utils import timezone


def forwards(apps, schema_editor):
    account_model = apps.get_model("vouchers", "Account")
    payment_model = apps.get_model("vouchers", "Payment")
    account_model.objects.filter(kind="merchant").update(balance=0)
    local = timezone.localtime(timezone.now())
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    earned = (
        payment_model.objects.filter(created_at__gte=month)
        .values("wallet")
        .annotate(net=Sum(F("cashback") - F("cashback_reversed")))
    )
    for row in earned:
        account_model.objects.filter(wallet_id=row["wallet"], kind="cashback").update(
            cashback_month=month.date(), cashback_month_earned=row["net"] or 0
        )


def backwards(apps, schema_editor):
    account_model = apps.get_model("vouchers", "Account")
    posting_model = apps.get_model("vouchers", "Posting")
    for account in account_model.objects.filter(kind="merchant"):
        account.balance = (
            posting_model.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        account.save(update_fields=["balance"])


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0005_bank_link_verification_settlement_retry"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="account",
            name="vouchers_account_one_system_account_per_kind",
        ),
        migrations.AddField(
            model_name="account",
            name="cashback_month",
            field=models.DateField(blank=True, null=True, verbose_name="cashback month"),
        ),
        migrations.AddField(
            model_name="account",
            name="cashback_month_earned",
            field=models.BigIntegerField(default=0, verbose_name="cashback earned that month"),
        ),
        migrations.AddField(
            model_name="account",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="shard"),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__in", ["treasury", "incentive", "clearing", "bank"])),
                fields=("kind", "shard"),
                name="vouchers_account_one_system_account_per_kind_and_shard",
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(("shard", 0), ("kind", "incentive"), _connector="OR"),
                name="vouchers_account_only_the_pool_is_sharded",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "merchant"), _negated=True), ("balance", 0), _connector="OR"
                ),
                name="vouchers_account_merchant_balance_derived",
            ),
        ),
    ]
