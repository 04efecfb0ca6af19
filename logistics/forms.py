from django import forms
from django.utils.translation import gettext_lazy as _

from .epcis import identifiers


class RecallForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the recall"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class LookupForm(forms.Form):
    gtin = forms.CharField(
        label=_("GTIN (the number under the barcode)"), max_length=14, min_length=8
    )
    lot_code = forms.CharField(label=_("Lot"), max_length=20)

    def clean_gtin(self) -> str:
        try:
            return identifiers.normalize_gtin(self.cleaned_data["gtin"])
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a valid GTIN.")) from exc
