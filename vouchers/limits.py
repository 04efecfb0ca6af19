"""The largest amount, in KRW, that each kind of money movement of the vouchers API accepts.

Constants, not settings: the API schema (drf-spectacular's `maximum`) is built from them at
import time, and a limit that differs between the schema and the service would mislead
clients. The policy's caps (monthly top-up, holding, daily gifts) apply below these; these
bounds exist so that no amount, whatever the policy, reaches the ledger's 64-bit integers.

| kind            | maximum (KRW) |
|-----------------|---------------|
| top-up          |     5,000,000 |
| payment         |    10,000,000 |
| payment request |    10,000,000 |
| refund          |    10,000,000 |
| gift            |     1,000,000 |
| grant           |    10,000,000 (per recipient; programme amount and CSV rows) |
| reward          |     1,000,000 |
| treasury funding | 10,000,000,000,000 (staff and system only) |
"""

MAX_TOPUP = 5_000_000
MAX_PAYMENT = 10_000_000
MAX_PAYMENT_REQUEST = 10_000_000
MAX_REFUND = 10_000_000
MAX_GIFT = 1_000_000
MAX_GRANT = 10_000_000
MAX_REWARD = 1_000_000
# Treasury funding of the pool or a programme (staff and system only, never an API amount):
# a programme's total is many grants; 10 trillion KRW is about the city's yearly budget.
MAX_FUNDING = 10**13
