from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from busanhub.bank.links import BANK_CHOICES

from . import ledger, limits
from .models import Merchant
from .services.banklinks import CODE_DIGITS

CATEGORY_LABELS = {
    "restaurant": _("Restaurant"),
    "cafe": _("Café"),
    "bakery": _("Bakery"),
    "grocery": _("Grocery"),
    "traditional_market": _("Traditional market stall"),
    "pharmacy": _("Pharmacy"),
    "bookstore": _("Bookstore"),
    "clothing": _("Clothing"),
    "beauty": _("Beauty"),
    "education": _("Education"),
    "fitness": _("Fitness"),
    "services": _("Services"),
    "department_store": _("Department store"),
    "large_mart": _("Large mart"),
    "entertainment": _("Entertainment"),
    "gambling": _("Gambling"),
}
CATEGORY_CHOICES = [(c, CATEGORY_LABELS[c]) for c in ledger.CATEGORIES]


class AmountField(forms.IntegerField):
    """A positive whole number of KRW up to `max_value`, one of vouchers.limits."""

    def __init__(self, *, max_value: int, **kwargs):
        kwargs.setdefault("label", _("Amount (KRW)"))
        kwargs.setdefault("min_value", 1)
        super().__init__(max_value=max_value, **kwargs)


class TopUpForm(forms.Form):
    """A top-up from one of the citizen's verified bank accounts (`links`: bank_links_of)."""

    amount = AmountField(max_value=limits.MAX_TOPUP)
    bank_account = forms.ChoiceField(label=_("Linked bank account"))

    def __init__(self, *args, links=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.links = {str(link.public_id): link for link in links}
        self.fields["bank_account"].choices = [(pk, link.label) for pk, link in self.links.items()]

    def clean_bank_account(self):
        return self.links[self.cleaned_data["bank_account"]]


class BankLinkForm(forms.Form):
    bank_code = forms.ChoiceField(
        label=_("Bank"), choices=[("", _("Choose your bank")), *BANK_CHOICES]
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=20,
        help_text=_("10 to 14 digits; hyphens are fine."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class BankLinkVerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Code in the memo of the 1 KRW transfer"),
        min_length=CODE_DIGITS,
        max_length=CODE_DIGITS,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PayCodeForm(forms.Form):
    code = forms.CharField(label=_("Merchant code"), max_length=12)


class PayAmountForm(forms.Form):
    amount = AmountField(max_value=limits.MAX_PAYMENT)
    password = forms.CharField(
        label=_("Password (for large payments)"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Password (for large payments)"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class GiftForm(forms.Form):
    recipient = forms.EmailField(label=_("Recipient's email"))
    amount = AmountField(max_value=limits.MAX_GIFT)
    message = forms.CharField(label=_("Message"), max_length=140, required=False)


class RefundForm(forms.Form):
    amount = AmountField(label=_("Refund amount (KRW)"), max_value=limits.MAX_REFUND)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PaymentRequestForm(forms.Form):
    amount = AmountField(max_value=limits.MAX_PAYMENT_REQUEST)


class MerchantApplyForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=120)
    name_ko = forms.CharField(label=_("Shop name in Korean"), max_length=120, required=False)
    business_number = forms.RegexField(
        label=_("Business registration number"),
        regex=r"^[0-9]{3}-[0-9]{2}-[0-9]{5}$",
        help_text=_("As 123-45-67890."),
        error_messages={"invalid": _("A business registration number reads 123-45-67890.")},
    )
    category = forms.ChoiceField(
        label=pgettext_lazy("merchant", "Category"), choices=CATEGORY_CHOICES
    )
    address = forms.CharField(label=_("Address"), max_length=200)
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, min_value=34.8, max_value=35.5
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, min_value=128.7, max_value=129.4
    )
    tier = forms.ChoiceField(label=_("Revenue tier"), choices=Merchant.Tier.choices)
    bank_account_ref = forms.CharField(label=_("Settlement bank account"), max_length=40)
