from django import forms
from django.utils.translation import gettext_lazy as _


class RecallForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the recall"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
