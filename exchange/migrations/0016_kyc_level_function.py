"""`exchange_kyc_level(holder, at)`: `services.kyc.kyc_level` as an SQL function, for the
placement statement that reads the level beside what it locks (services.kyc.KycLevel wraps it
for the ORM). The highest integer kycLevel claim (not 2.5, not true, not "2") of the holder's
ExchangeKycCredentials valid at `at`, 0 without one; over identity's
`identity_credential_claims_valid`.

A one-row set-returning SQL function, STABLE, not STRICT, one SELECT, so that PostgreSQL
inlines it (and identity's function inside it) into the calling statement: the plan is the
one the pasted expression gave. Callers write `(SELECT level FROM exchange_kyc_level(...))`."""

from django.db import migrations

FUNCTION_SQL = """
CREATE FUNCTION exchange_kyc_level(holder_pk bigint, at_time timestamptz)
RETURNS TABLE (level numeric) LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
    SELECT COALESCE(MAX(CASE
            WHEN jsonb_typeof(kyc.claims -> 'kycLevel') = 'number'
                AND (kyc.claims -> 'kycLevel')::text ~ '^-?[0-9]+$'
            THEN (kyc.claims -> 'kycLevel')::text::numeric END), 0)
    FROM identity_credential_claims_valid(holder_pk, 'ExchangeKycCredential', at_time)
        AS kyc(claims)
$$;
"""
DROP_SQL = "DROP FUNCTION exchange_kyc_level(bigint, timestamptz);"


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0015_journal_append_only"),
        ("identity", "0005_credential_sql_functions"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION_SQL, DROP_SQL),
    ]
