"""Linked bank accounts live in the platform (`busanhub.bank.links`), shared with the exchange;
vouchers' pages, API and top-ups use them from there. Re-exported for the app's imports."""

from busanhub.bank.links import (  # noqa: F401
    BANK_CHOICES,
    BANK_NAMES,
    CODE_DIGITS,
    CODE_TTL,
    MAX_CODE_ATTEMPTS,
    MAX_LINKS,
    MAX_VERIFICATIONS,
    account_number_normalise,
    bank_link_add,
    bank_link_check,
    bank_link_check_usable,
    bank_link_open,
    bank_link_remove,
    bank_link_verification_send,
    bank_link_verify,
    sandbox_statement,
)
