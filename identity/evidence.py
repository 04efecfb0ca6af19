"""What a citizen shows staff with each kind of application. No Django imports.

The evidence is declared, not proven: staff check the named document before approving. Each
credential type asks for the kind of document and the facts staff need to find it.
"""

from identity import credential_types as ct

# The documents staff accept for each credential type.
DOCUMENTS = {
    ct.RESIDENT: ("resident_registration", "lease", "utility_bill"),
    ct.ADULT: ("id_card", "driving_licence", "passport"),
    ct.STUDENT: ("enrolment_certificate", "student_card"),
    ct.EXCHANGE_KYC: ("id_card", "driving_licence", "passport", "alien_registration"),
    ct.MERCHANT: ("business_registration",),
}
ALL_DOCUMENTS = tuple(dict.fromkeys(d for documents in DOCUMENTS.values() for d in documents))

# The evidence fields of each type, besides `document`; all are required text.
FIELDS = {
    ct.RESIDENT: ("address",),
    ct.ADULT: (),
    ct.STUDENT: ("student_number",),
    ct.EXCHANGE_KYC: ("full_name",),
    ct.MERCHANT: (),
}
TEXT_FIELDS = tuple(dict.fromkeys(f for fields in FIELDS.values() for f in fields))
MAX_LENGTH = 200


def evidence_fields(credential_type: str) -> tuple[str, ...]:
    return ("document", *FIELDS[credential_type])


def evidence_errors(credential_type: str, details) -> dict[str, str]:
    """{field: code} for what is wrong; codes are "required", "invalid", "too_long", "unknown"."""
    if not isinstance(details, dict):
        return {"evidence_details": "invalid"}
    wanted = evidence_fields(credential_type)
    errors = {key: "unknown" for key in details if key not in wanted}
    for key in wanted:
        value = details.get(key)
        if not isinstance(value, str) or not value.strip():
            errors[key] = "required"
        elif len(value) > MAX_LENGTH:
            errors[key] = "too_long"
        elif key == "document" and value not in DOCUMENTS[credential_type]:
            errors[key] = "invalid"
    return errors
