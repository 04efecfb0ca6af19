"""Payments: `payment_create` as read (read.py, the locking statement) → context (context.py)
→ pure plan (plan.py) → write (write.py, the one data-modifying statement)."""

from .create import payment_create

__all__ = ["payment_create"]
