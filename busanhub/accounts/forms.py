from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from busanhub.accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "preferred_language"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}


class SignupForm(AllauthSignupForm):
    """allauth's sign-up with the person's name and their acceptance of the terms and the
    privacy policy (the adapter stores the name and records the versions accepted)."""

    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("As it should appear on your certificates and receipts."),
    )
    accept_terms = forms.BooleanField(
        required=True,
        error_messages={
            "required": _("Accept the terms of use and the privacy policy to sign up.")
        },
    )

    field_order = ["name", "email", "password1", "password2", "accept_terms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request: the links and words follow the active language.
        self.fields["accept_terms"].label = format_html(
            gettext(
                "I have read and accept the {terms_link}terms of use{end} and the "
                "{privacy_link}privacy policy{end}."
            ),
            terms_link=format_html('<a href="{}" target="_blank">', reverse("accounts:terms")),
            privacy_link=format_html('<a href="{}" target="_blank">', reverse("accounts:privacy")),
            end=mark_safe("</a>"),  # noqa: S308 - a constant closing tag
        )
        self.order_fields(self.field_order)


class ResendConfirmationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
