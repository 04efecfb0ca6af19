import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from busanhub.chain import canonical

MAX_RECEIPT_BYTES = 1_000_000


class DigestForm(forms.Form):
    digest = forms.CharField(
        label=_("Digest"),
        max_length=66,
        help_text=_("The 64 hexadecimal digits printed on a record or its receipt."),
    )

    def clean_digest(self):
        try:
            return canonical.normalize_digest(self.cleaned_data["digest"])
        except ValueError as exc:
            raise forms.ValidationError(
                _("A digest is 64 hexadecimal digits, optionally starting with 0x.")
            ) from exc


class ReceiptForm(forms.Form):
    file = forms.FileField(label=_("Receipt file (JSON)"), required=False)
    text = forms.CharField(
        label=_("…or paste the receipt"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        upload, text = cleaned.get("file"), cleaned.get("text")
        if upload:
            if upload.size > MAX_RECEIPT_BYTES:
                raise forms.ValidationError(_("A receipt file is at most 1 MB."))
            raw = upload.read()
        elif text:
            raw = text.encode()
        else:
            raise forms.ValidationError(_("Upload a receipt file or paste its JSON."))
        try:
            receipt = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise forms.ValidationError(
                _("This is not JSON: %(error)s"), params={"error": exc}
            ) from exc
        if not isinstance(receipt, dict):
            raise forms.ValidationError(_("A receipt is a JSON object."))
        cleaned["receipt"] = receipt
        return cleaned
