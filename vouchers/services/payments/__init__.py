"""Payments: `payment_create`, the request's checks in Python, then the whole payment in one
call of the PL/pgSQL function `vouchers_payment_pay` (migrations/0011_payment_pay_function.sql)."""

from .create import payment_create

__all__ = ["payment_create"]
