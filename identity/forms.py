from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity import credential_types, evidence
from identity.labels import (
    CLAIM_LABELS,
    DISTRICT_LABELS,
    DISTRICTS,
    DOCUMENT_LABELS,
    EVIDENCE_LABELS,
    TIER_LABELS,
    TYPE_LABELS,
)
from identity.services.applications import check_evidence

# Which form fields each type uses; the rest are ignored for that type.
TYPE_FIELDS = {
    credential_types.RESIDENT: ["district", "residentSince"],
    credential_types.ADULT: ["birth_date"],
    credential_types.STUDENT: ["university", "programme", "studentUntil"],
    credential_types.EXCHANGE_KYC: ["kycLevel"],
    credential_types.MERCHANT: ["businessNumber", "category", "tier"],
}


class ApplicationForm(forms.Form):
    credential_type = forms.ChoiceField(
        label=_("Credential"), choices=[(t, TYPE_LABELS[t]) for t in credential_types.TYPES]
    )
    district = forms.ChoiceField(
        label=CLAIM_LABELS["district"],
        required=False,
        choices=[("", "—")] + [(d, DISTRICT_LABELS[d]) for d in DISTRICTS],
    )
    residentSince = forms.DateField(  # noqa: N815
        label=CLAIM_LABELS["residentSince"],
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Used only to check that you are 19 or over; it is not put in the credential."),
    )
    university = forms.CharField(label=CLAIM_LABELS["university"], required=False, max_length=200)
    programme = forms.CharField(label=CLAIM_LABELS["programme"], required=False, max_length=200)
    studentUntil = forms.DateField(  # noqa: N815
        label=CLAIM_LABELS["studentUntil"],
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    kycLevel = forms.TypedChoiceField(  # noqa: N815
        label=CLAIM_LABELS["kycLevel"],
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), ("1", "1"), ("2", "2"), ("3", "3")],
    )
    businessNumber = forms.CharField(  # noqa: N815
        label=CLAIM_LABELS["businessNumber"],
        required=False,
        max_length=12,
        help_text=_("Format 123-45-67890"),
    )
    category = forms.CharField(label=CLAIM_LABELS["category"], required=False, max_length=100)
    tier = forms.ChoiceField(
        label=CLAIM_LABELS["tier"],
        required=False,
        choices=[("", "—"), *TIER_LABELS.items()],
    )
    document = forms.ChoiceField(
        label=EVIDENCE_LABELS["document"],
        required=False,
        choices=[("", "—")] + [(d, DOCUMENT_LABELS[d]) for d in evidence.ALL_DOCUMENTS],
    )
    address = forms.CharField(
        label=EVIDENCE_LABELS["address"], required=False, max_length=evidence.MAX_LENGTH
    )
    student_number = forms.CharField(
        label=EVIDENCE_LABELS["student_number"], required=False, max_length=evidence.MAX_LENGTH
    )
    full_name = forms.CharField(
        label=EVIDENCE_LABELS["full_name"], required=False, max_length=evidence.MAX_LENGTH
    )
    evidence = forms.CharField(
        label=_("Anything else staff should know"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        credential_type = data.get("credential_type")
        if not credential_type:
            return data
        claims = {}
        for name in TYPE_FIELDS[credential_type]:
            value = data.get(name)
            if value in (None, ""):
                self.add_error(name, _("This field is required for this credential."))
                continue
            if name == "birth_date":
                today = timezone.localdate()
                age = (
                    today.year - value.year - ((today.month, today.day) < (value.month, value.day))
                )
                if age < 19:
                    self.add_error(name, _("You must be 19 or over."))
                else:
                    claims["ageOver"] = 19
                continue
            claims[name] = value.isoformat() if isinstance(value, date) else value
        data["claims"] = claims
        details = {name: data.get(name) or "" for name in evidence.evidence_fields(credential_type)}
        try:
            # The service's own check, so the form and the service word errors alike.
            data["evidence_details"] = check_evidence(
                credential_type=credential_type, evidence_details=details
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


class PresentationRequestForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    credential_types = forms.MultipleChoiceField(
        label=_("Credentials wanted"),
        choices=[(t, TYPE_LABELS[t]) for t in credential_types.TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    claims = forms.MultipleChoiceField(
        label=_("Claims wanted"),
        required=False,
        choices=list(CLAIM_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    domain = forms.CharField(
        label=_("Domain"),
        max_length=200,
        help_text=_("Your site or shop name; the presentation is bound to it."),
    )


class KeyExportForm(forms.Form):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
