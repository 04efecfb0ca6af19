"""The journal's balance guard sums what the statement wrote (its transition tables), not every
posting of the entries it touched.

Each statement must leave every entry it touched balanced per asset (0007's guard already
asked that, reading the entries' postings back by index after the statement). Every entry
was balanced before the statement, so its entries stay balanced exactly when what the
statement added per entry and asset sums to zero: the inserted rows, or for an update the new
rows less the old ones (a posting moved to another entry unbalances both). The same rule,
without an index lookup per entry: a placement's and a match's statements spent more on the
read-back than on the rest of the guard."""

import importlib

from django.db import migrations

BALANCED_SQL = """
CREATE OR REPLACE FUNCTION exchange_check_balanced() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM new_postings
            GROUP BY entry_id, asset_id HAVING SUM(amount) <> 0;
    ELSE
        PERFORM 1 FROM (
                SELECT entry_id, asset_id, amount FROM new_postings
                UNION ALL
                SELECT entry_id, asset_id, -amount FROM old_postings
            ) AS change
            GROUP BY entry_id, asset_id HAVING SUM(amount) <> 0;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'an exchange journal entry does not sum to zero'
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
# Back to 0007's function (its triggers stay as they are).
READ_BACK_SQL = importlib.import_module(
    "exchange.migrations.0007_traded_volume_and_leaner_indexes"
).BALANCED_SQL


def statement_sums(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED_SQL, params=None)


def read_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(READ_BACK_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0008_account_open_notional"),
    ]

    operations = [
        migrations.RunPython(statement_sums, read_back),
    ]
