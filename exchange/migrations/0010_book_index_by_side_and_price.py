"""The resting book's index by side and price (was by sequence): a market sell's best bid, a
market buy's cost and the depth read the top of one side instead of every resting order, which
grew with the book (a market sell cost milliseconds with 8,000 orders resting)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0009_balanced_guard_reads_the_statement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="order",
            name="exchange_order_open_book",
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "partial"])),
                fields=["market", "side", "price", "seq"],
                name="exchange_order_book_price",
            ),
        ),
    ]
