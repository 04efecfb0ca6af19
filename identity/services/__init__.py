"""Every write of B Pass. Other apps call `credential_issue`, `issuer_for_university` and the
selectors in identity.selectors; nothing else."""

from .applications import application_approve, application_reject, application_submit
from .credentials import (
    credential_issue,
    credential_issue_document,
    credential_issue_documents,
    credential_issue_many,
    document_digest,
)
from .keys import (
    city_issuer,
    issuer_ensure,
    issuer_for_university,
    wallet_export_jwk,
    wallet_open,
    wallets_open,
)
from .presentations import (
    challenge_issue,
    presentation_request_create,
    presentation_respond,
    presentation_verify_once,
)
from .status import (
    credential_reinstate,
    credential_revoke,
    credential_suspend,
    status_list_open,
    status_lists_ensure,
)

__all__ = [
    "application_approve",
    "challenge_issue",
    "application_reject",
    "application_submit",
    "city_issuer",
    "credential_issue",
    "credential_issue_document",
    "credential_issue_documents",
    "credential_issue_many",
    "credential_reinstate",
    "credential_revoke",
    "credential_suspend",
    "document_digest",
    "issuer_ensure",
    "issuer_for_university",
    "presentation_request_create",
    "presentation_respond",
    "presentation_verify_once",
    "status_list_open",
    "status_lists_ensure",
    "wallet_export_jwk",
    "wallet_open",
    "wallets_open",
]
