"""Credential types, claims, districts and documents in plain words (Korean and English): the one
mapping the wallet, the verifier's pages, the apply form, the admin and the e-mails use."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from identity import credential_types

TYPE_LABELS = {
    credential_types.RESIDENT: _("Busan resident"),
    credential_types.ADULT: _("Adult (19 or over)"),
    credential_types.STUDENT: _("University student"),
    credential_types.EXCHANGE_KYC: _("Exchange identity verification (KYC)"),
    credential_types.MERCHANT: _("Registered merchant"),
}

CLAIM_LABELS = {
    "district": _("District"),
    "residentSince": _("Resident since"),
    "ageOver": _("Age at least"),
    "university": _("University"),
    "programme": _("Programme"),
    "studentUntil": _("Student until"),
    "kycLevel": _("Verification level"),
    "businessNumber": _("Business registration number"),
    "category": _("Business category"),
    "tier": _("Merchant tier"),
}


DOCUMENT_LABELS = {
    "resident_registration": _("Resident registration abstract"),
    "lease": _("Lease contract"),
    "utility_bill": _("Utility bill"),
    "id_card": _("Resident registration card"),
    "driving_licence": _("Driving licence"),
    "passport": _("Passport"),
    "alien_registration": _("Residence card (foreign resident)"),
    "enrolment_certificate": _("Certificate of enrolment"),
    "student_card": _("Student ID card"),
    "business_registration": _("Business registration certificate"),
}

EVIDENCE_LABELS = {
    "document": _("Document staff can check"),
    "address": _("Address in Busan"),
    "student_number": _("Student number"),
    "full_name": _("Full name as on the document"),
}

DISTRICTS = credential_types.schema(credential_types.RESIDENT)["properties"]["district"]["enum"]

# The schema's (and the credential's) value is the romanised name; people read the Korean one.
DISTRICT_LABELS = {
    "Jung-gu": pgettext_lazy("Busan district", "Jung-gu"),
    "Seo-gu": pgettext_lazy("Busan district", "Seo-gu"),
    "Dong-gu": pgettext_lazy("Busan district", "Dong-gu"),
    "Yeongdo-gu": pgettext_lazy("Busan district", "Yeongdo-gu"),
    "Busanjin-gu": pgettext_lazy("Busan district", "Busanjin-gu"),
    "Dongnae-gu": pgettext_lazy("Busan district", "Dongnae-gu"),
    "Nam-gu": pgettext_lazy("Busan district", "Nam-gu"),
    "Buk-gu": pgettext_lazy("Busan district", "Buk-gu"),
    "Haeundae-gu": pgettext_lazy("Busan district", "Haeundae-gu"),
    "Saha-gu": pgettext_lazy("Busan district", "Saha-gu"),
    "Geumjeong-gu": pgettext_lazy("Busan district", "Geumjeong-gu"),
    "Gangseo-gu": pgettext_lazy("Busan district", "Gangseo-gu"),
    "Yeonje-gu": pgettext_lazy("Busan district", "Yeonje-gu"),
    "Suyeong-gu": pgettext_lazy("Busan district", "Suyeong-gu"),
    "Sasang-gu": pgettext_lazy("Busan district", "Sasang-gu"),
    "Gijang-gun": pgettext_lazy("Busan district", "Gijang-gun"),
}
assert set(DISTRICT_LABELS) == set(DISTRICTS), "a district of the schema has no label"

TIER_LABELS = {"small": _("small"), "medium": _("medium"), "large": _("large")}


def type_label(credential_type: str) -> str:
    return str(TYPE_LABELS.get(credential_type, credential_type))


def claim_value_in_words(key: str, value) -> str:
    if key == "district":
        return str(DISTRICT_LABELS.get(value, value))
    if key == "tier":
        return str(TIER_LABELS.get(value, value))
    return str(value)


def claims_in_words(claims: dict) -> list[tuple[str, str]]:
    """(label, value) rows in the active language; the subject's `id` is left out."""
    return [
        (str(CLAIM_LABELS.get(key, key)), claim_value_in_words(key, value))
        for key, value in claims.items()
        if key != "id"
    ]
