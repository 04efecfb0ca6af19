"""The journal is append-only: a DELETE of postings is refused, and the balance guard also
checks what a DELETE leaves.

Decision: no DELETE of a posting, ever. A journal entry is corrected by a reversing entry (a
refund, a reclaim), never by removing lines; nothing in the code deletes postings (every
foreign key to a posting's entry and account is PROTECT, the admin's posting inline has
`can_delete = False`, and the test database is emptied with TRUNCATE, which fires no DELETE
trigger). So a BEFORE DELETE statement trigger refuses the statement whatever it deletes
(SQLSTATE 23001, restrict_violation: Django raises IntegrityError), before a row is touched.

Defence in depth: the deferred balance trigger of 0002 fires on DELETE too, and on an UPDATE
it checks the entry the posting left as well as the one it joined. Should an operator ever
disable the append-only trigger for a repair (`ALTER TABLE vouchers_posting DISABLE TRIGGER
vouchers_posting_append_only`), removing a whole entry's postings still passes but removing
part of one is refused at COMMIT."""

from django.db import migrations

APPEND_ONLY_SQL = """
-- An INSERT (every posting a payment writes) costs what it did: one sum, the new row's entry.
CREATE OR REPLACE FUNCTION vouchers_check_balanced() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' AND (SELECT COALESCE(SUM(amount), 0) FROM vouchers_posting
        WHERE transaction_id = NEW.transaction_id) <> 0 THEN
        RAISE EXCEPTION 'vouchers journal transaction % does not sum to zero',
            NEW.transaction_id USING ERRCODE = '23514';
    END IF;
    IF TG_OP <> 'INSERT'
        AND (TG_OP = 'DELETE' OR OLD.transaction_id <> NEW.transaction_id)
        AND (SELECT COALESCE(SUM(amount), 0) FROM vouchers_posting
            WHERE transaction_id = OLD.transaction_id) <> 0 THEN
        RAISE EXCEPTION 'vouchers journal transaction % does not sum to zero',
            OLD.transaction_id USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER vouchers_posting_balanced ON vouchers_posting;
CREATE CONSTRAINT TRIGGER vouchers_posting_balanced
    AFTER INSERT OR UPDATE OR DELETE ON vouchers_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vouchers_check_balanced();

CREATE FUNCTION vouchers_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the vouchers journal is append-only: post a reversing entry instead'
        USING ERRCODE = '23001';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER vouchers_posting_append_only BEFORE DELETE ON vouchers_posting
    FOR EACH STATEMENT EXECUTE FUNCTION vouchers_refuse_delete();
"""
# Back to 0002's guard (INSERT OR UPDATE, the new row's entry only) and no delete guard.
REVERSE_SQL = """
DROP TRIGGER vouchers_posting_append_only ON vouchers_posting;
DROP FUNCTION vouchers_refuse_delete();
DROP TRIGGER vouchers_posting_balanced ON vouchers_posting;
CREATE OR REPLACE FUNCTION vouchers_check_balanced() RETURNS trigger AS $$
BEGIN
    IF (SELECT COALESCE(SUM(amount), 0) FROM vouchers_posting
        WHERE transaction_id = NEW.transaction_id) <> 0 THEN
        RAISE EXCEPTION 'vouchers journal transaction % does not sum to zero',
            NEW.transaction_id USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER vouchers_posting_balanced
    AFTER INSERT OR UPDATE ON vouchers_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vouchers_check_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0008_gift_hold"),
    ]

    operations = [
        migrations.RunSQL(APPEND_ONLY_SQL, REVERSE_SQL),
    ]
