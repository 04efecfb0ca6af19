"""The journal is append-only: a DELETE of postings is refused, and the balance guard also
checks what a DELETE leaves.

Decision: no DELETE of a posting, ever. A journal entry is corrected by a reversing entry,
never by removing lines; nothing in the code deletes postings (every foreign key to a
posting's entry, account and asset is PROTECT, the admin allows no deletion, and the test
database is emptied with TRUNCATE, which fires no DELETE trigger). So a BEFORE DELETE
statement trigger refuses the statement whatever it deletes (SQLSTATE 23001,
restrict_violation: Django raises IntegrityError), before a row is touched.

Defence in depth: 0009's per-statement balance guard runs after a DELETE too, with the
deleted rows as the statement's change (every entry was balanced before, so it stays
balanced exactly when what was deleted per entry and asset sums to zero). Should an operator
ever disable the append-only trigger for a repair (`ALTER TABLE exchange_posting DISABLE
TRIGGER exchange_posting_append_only`), removing a whole entry's postings still passes but
removing part of one is refused."""

import importlib

from django.db import migrations

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION exchange_check_balanced() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM new_postings
            GROUP BY entry_id, asset_id HAVING SUM(amount) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM old_postings
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
CREATE TRIGGER exchange_posting_balanced_delete AFTER DELETE ON exchange_posting
    REFERENCING OLD TABLE AS old_postings
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_check_balanced();

CREATE FUNCTION exchange_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the exchange journal is append-only: post a reversing entry instead'
        USING ERRCODE = '23001';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER exchange_posting_append_only BEFORE DELETE ON exchange_posting
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_refuse_delete();
"""
# Back to 0009's function (INSERT and UPDATE) and no DELETE triggers.
REVERSE_SQL = (
    """
DROP TRIGGER exchange_posting_append_only ON exchange_posting;
DROP FUNCTION exchange_refuse_delete();
DROP TRIGGER exchange_posting_balanced_delete ON exchange_posting;
"""
    + importlib.import_module(
        "exchange.migrations.0009_balanced_guard_reads_the_statement"
    ).BALANCED_SQL
)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0014_hot_wallet_nonces_to_chain_signers"),
    ]

    operations = [
        migrations.RunSQL(APPEND_ONLY_SQL, REVERSE_SQL),
    ]
