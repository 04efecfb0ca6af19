"""Linked bank accounts move from vouchers to the platform (state only): the model is the
platform's from here on, on the table vouchers created; vouchers 0007 drops it from its state
and 0003 here renames the table. The data stays where it is: no row is copied."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bank", "0001_initial"),
        # The table exists (vouchers 0001, verification columns 0005) before the platform
        # takes the model over.
        ("vouchers", "0006_pool_shards_derived_merchant_balance_monthly_cashback"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="BankLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        (
                            "account_ref",
                            models.CharField(max_length=40, verbose_name="bank account"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "bank_code",
                            models.CharField(blank=True, max_length=3, verbose_name="bank"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("unverified", "Waiting for the code"),
                                    ("verified", "Verified"),
                                    ("failed", "Verification failed"),
                                ],
                                default="unverified",
                                max_length=10,
                                verbose_name="status",
                            ),
                        ),
                        ("code_hash", models.CharField(blank=True, max_length=64)),
                        ("code_sent_at", models.DateTimeField(blank=True, null=True)),
                        ("code_attempts", models.PositiveSmallIntegerField(default=0)),
                        ("verifications_sent", models.PositiveSmallIntegerField(default=0)),
                        ("verification_transfer_id", models.CharField(blank=True, max_length=64)),
                        (
                            "verified_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="verified at"),
                        ),
                        (
                            "removed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="removed at"),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="bank_links",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "linked bank account",
                        "verbose_name_plural": "linked bank accounts",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "account_ref"), name="vouchers_banklink_unique"
                            )
                        ],
                        "db_table": "vouchers_banklink",
                    },
                ),
            ],
        ),
    ]
