"""The credential types B Pass issues, with their JSON Schemas. No Django imports.

Each type's claims are validated against `schemas/<Type>.json` (JSON Schema 2020-12), which
every credential references in `credentialSchema`.
"""

import json
from functools import cache
from pathlib import Path

import jsonschema

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"

RESIDENT = "BusanResidentCredential"
ADULT = "AdultCredential"
STUDENT = "StudentCredential"
EXCHANGE_KYC = "ExchangeKycCredential"
MERCHANT = "MerchantCredential"

TYPES = (RESIDENT, ADULT, STUDENT, EXCHANGE_KYC, MERCHANT)


class ClaimsError(ValueError):
    def __init__(self, message: str, *, field: str = "claims"):
        super().__init__(message)
        self.field = field


@cache
def schema(credential_type: str) -> dict:
    if credential_type not in TYPES:
        raise ClaimsError(f"unknown credential type {credential_type!r}", field="credential_type")
    return json.loads((SCHEMAS_DIR / f"{credential_type}.json").read_text(encoding="utf-8"))


@cache
def _validator(credential_type: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema(credential_type), format_checker=jsonschema.FormatChecker()
    )


def validate_claims(credential_type: str, claims) -> None:
    """Raises ClaimsError naming the first offending claim."""
    validator = _validator(credential_type)
    error = jsonschema.exceptions.best_match(validator.iter_errors(claims))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or "claims"
        raise ClaimsError(error.message, field=field)
