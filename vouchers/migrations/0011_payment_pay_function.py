"""`vouchers_payment_pay(...)`: a whole payment in one PL/pgSQL call (the text and its rules:
0011_payment_pay_function.sql beside this file), so that a payment outside a caller's
transaction is one statement in autocommit, one round trip instead of BEGIN, a locking read,
a write and COMMIT. services/payments/create.py calls it."""

from pathlib import Path

from django.db import migrations

FUNCTION_SQL = (Path(__file__).resolve().parent / "0011_payment_pay_function.sql").read_text()
DROP_SQL = (
    "DROP FUNCTION vouchers_payment_pay(bigint, text, bigint, bigint, boolean, timestamptz, "
    "date, date, text, bigint[]);"
)


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0010_korean_names"),
        ("identity", "0005_credential_sql_functions"),
        ("chain", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION_SQL, DROP_SQL),
    ]
