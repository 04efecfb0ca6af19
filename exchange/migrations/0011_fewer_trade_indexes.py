"""One index for a market's trades by time, (market, created_at desc, id desc), instead of three
written with every trade (market, created_at, and market with created_at)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0010_book_index_by_side_and_price"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="trade",
            name="exchange_trade_recent",
        ),
        migrations.AlterField(
            model_name="trade",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="trade",
            name="market",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="trades",
                to="exchange.market",
            ),
        ),
        migrations.AddIndex(
            model_name="trade",
            index=models.Index(
                fields=["market", "-created_at", "-id"], name="exchange_trade_recent"
            ),
        ),
    ]
