"""`identity_credential_claims_valid(holder, type, at)`: the claims of a user's active
credentials of a type, valid at a time, as an SQL function: what other apps' hand-written
statements ask of identity (a voucher payment's resident check, an order's KYC level) instead
of pasting identity's WHERE clause into their SQL. selectors.ValidCredentialExists wraps it
for the ORM.

A set-returning SQL function, STABLE, not STRICT, one SELECT: PostgreSQL inlines it into the
calling statement (a plain subquery there), so a caller's plan is the one the pasted clause
gave. Its parameters are named apart from the columns (in an SQL function a column name
wins over a parameter of the same name)."""

from django.db import migrations

FUNCTION_SQL = """
CREATE FUNCTION identity_credential_claims_valid(
    holder_pk bigint, type_name text, at_time timestamptz
) RETURNS SETOF jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT credential.claims FROM identity_credential AS credential
    WHERE credential.holder_id = holder_pk
        AND credential.credential_type = type_name
        AND credential.status = 'active'
        AND (credential.valid_from IS NULL OR credential.valid_from <= at_time)
        AND (credential.valid_until IS NULL OR credential.valid_until > at_time)
$$;
"""
DROP_SQL = "DROP FUNCTION identity_credential_claims_valid(bigint, text, timestamptz);"


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0004_challenges"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION_SQL, DROP_SQL),
    ]
