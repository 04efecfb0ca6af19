-- vouchers_payment_pay: a whole payment, one call of the PL/pgSQL function of the same name
-- (vouchers/migrations/0011_payment_pay_function.sql: its rules, locks and outcomes); rows:
-- services/payments/create.py, PaymentOutcome.
SELECT * FROM vouchers_payment_pay(%(payer)s, %(code)s, %(amount)s, %(request)s,
    %(reauthenticated)s, %(now)s, %(business_date)s, %(month)s, %(credential_type)s,
    %(default_policy)s)
