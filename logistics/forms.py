from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .epcis import identifiers
from .models import Location, Party, Product


class RecallForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the recall"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    reason_ko = forms.CharField(
        label=_("Reason for the recall, in Korean"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=_("Korean pages and e-mails show it; the English reason otherwise."),
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


def _gln_field() -> forms.CharField:
    return forms.CharField(
        label=_("GLN"),
        max_length=13,
        help_text=_("13 digits with the check digit. Fixed once events name it."),
    )


def _clean_gln(value: str) -> str:
    value = (value or "").strip()
    if not identifiers.is_valid_gln(value):
        raise forms.ValidationError(_("Enter a 13-digit GLN with a correct check digit."))
    return value


class PartyForm(forms.Form):
    """A party (a company in the chain). Writes go through services.party_create/_update."""

    gln = _gln_field()
    name = forms.CharField(label=pgettext_lazy("b-fresh", "Name"), max_length=200)
    name_ko = forms.CharField(label=_("Korean name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=pgettext_lazy("b-fresh", "Kind"), choices=Party.Kind.choices)
    contact_email = forms.EmailField(
        label=pgettext_lazy("b-fresh", "Contact email"), required=False
    )
    company_prefix = forms.RegexField(
        label=pgettext_lazy("b-fresh", "GS1 company prefix"),
        regex=r"^\d{6,12}$",
        max_length=12,
        required=False,
        help_text=_("The prefix of the party's SSCCs, GIAIs and GRAIs (6 to 12 digits)."),
    )

    def __init__(self, *args, parties=None, **kwargs):
        # `parties` is taken like the other master-data forms' (a new party belongs to no one).
        super().__init__(*args, **kwargs)

    def clean_gln(self) -> str:
        return _clean_gln(self.cleaned_data["gln"])


class LocationForm(forms.Form):
    party = forms.ModelChoiceField(
        label=pgettext_lazy("b-fresh", "Party"), queryset=Party.objects.none()
    )
    gln = _gln_field()
    name = forms.CharField(label=pgettext_lazy("b-fresh", "Name"), max_length=200)
    name_ko = forms.CharField(label=_("Korean name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=pgettext_lazy("b-fresh", "Kind"), choices=Location.Kind.choices)
    latitude = forms.DecimalField(
        label=pgettext_lazy("b-fresh", "Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
    )
    longitude = forms.DecimalField(
        label=pgettext_lazy("b-fresh", "Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
    )

    def __init__(self, *args, parties=None, **kwargs):
        """`parties`: the parties a new location may belong to; None when editing (a location
        stays with its party)."""
        super().__init__(*args, **kwargs)
        if parties is None:
            del self.fields["party"]
        else:
            self.fields["party"].queryset = parties

    def clean_gln(self) -> str:
        return _clean_gln(self.cleaned_data["gln"])


class ProductForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=pgettext_lazy("b-fresh", "Owner"), queryset=Party.objects.none()
    )
    gtin = forms.CharField(
        label=_("GTIN"),
        max_length=14,
        help_text=_(
            "8, 12, 13 or 14 digits with the check digit. Fixed once lots or events name it."
        ),
    )
    name = forms.CharField(label=pgettext_lazy("b-fresh", "Name"), max_length=200)
    name_ko = forms.CharField(label=_("Korean name"), max_length=200, required=False)
    species = forms.CharField(
        label=pgettext_lazy("b-fresh", "Species (scientific name)"), max_length=120, required=False
    )
    product_form = forms.ChoiceField(
        label=pgettext_lazy("b-fresh", "Product form"), choices=Product.Form.choices
    )
    storage_class = forms.ChoiceField(
        label=pgettext_lazy("b-fresh", "Storage class"), choices=Product.StorageClass.choices
    )

    def __init__(self, *args, parties=None, **kwargs):
        super().__init__(*args, **kwargs)
        if parties is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = parties

    def clean_gtin(self) -> str:
        try:
            return identifiers.normalize_gtin(self.cleaned_data["gtin"])
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a valid GTIN.")) from exc


class LotForm(forms.Form):
    product = forms.ModelChoiceField(
        label=pgettext_lazy("b-fresh", "Product"), queryset=Product.objects.none()
    )
    lot_code = forms.CharField(
        label=pgettext_lazy("b-fresh", "Lot code"),
        max_length=20,
        help_text=_("As printed after (10) on the label. Fixed once events name the lot."),
    )
    trace_number = forms.CharField(
        label=_("Korean seafood traceability number"), max_length=40, required=False
    )

    def __init__(self, *args, parties=None, **kwargs):
        """`parties`: whose active products a new lot may be of; None when editing."""
        super().__init__(*args, **kwargs)
        if parties is None:
            del self.fields["product"]
        else:
            self.fields["product"].queryset = Product.objects.filter(
                owner__in=parties, is_active=True
            ).order_by("name")
