from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from exchange.amounts import MAX_AMOUNT, to_units
from exchange.models import Order


class AmountField(forms.CharField):
    """A decimal amount typed by a person, cleaned to integer ledger units."""

    def __init__(self, *, decimals: int = 0, **kwargs):
        self.decimals = decimals
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return 0
        try:
            units = to_units(value, self.decimals)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Enter a number with at most %(d)s decimals.") % {"d": self.decimals}
            ) from exc
        if units < 0:
            raise forms.ValidationError(_("Enter a positive amount."))
        return units


class OrderForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=Order.Side.choices)
    kind = forms.ChoiceField(label=_("Order type"), choices=Order.Kind.choices)
    price = AmountField(label=_("Price"), required=False)
    quantity = AmountField(label=_("Quantity"), required=False)
    quote_amount = AmountField(label=_("Amount to spend (market buy)"), required=False)
    time_in_force = forms.ChoiceField(
        label=_("Time in force"), choices=Order.TimeInForce.choices, initial="GTC"
    )
    post_only = forms.BooleanField(label=_("Post only"), required=False)

    def __init__(self, *args, market, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price"].decimals = market.quote.decimals
        self.fields["quantity"].decimals = market.base.decimals
        self.fields["quote_amount"].decimals = market.quote.decimals
        self.fields["price"].label = _("Price (%(quote)s)") % {"quote": market.quote.symbol}
        self.fields["quantity"].label = _("Quantity (%(base)s)") % {"base": market.base.symbol}
        self.fields["quote_amount"].label = _("Or amount to spend (%(quote)s)") % {
            "quote": market.quote.symbol
        }


# An unbound order form's fields, rendered once per process for each market and language:
# the same for every trader (labels name the market's assets; no value, no error, no token).
_order_fields: dict[tuple, SafeString] = {}


def order_form_fields(form: OrderForm | None, *, market) -> SafeString:
    """The form's fields as HTML (`form` None: the unbound form, made only when its HTML is
    not kept yet). Rendering seven widgets costs more CPU than the trading page's queries
    together, and an unbound form (every GET) depends only on the market's asset symbols and
    decimals and the language: those are the key, so a renamed asset finds a new entry and
    nothing has to be forgotten. A bound form (a POST with errors) is rendered anew. With
    DEBUG on, nothing is kept (templates change under a running development server).
    """
    if form is not None and form.is_bound:
        return render_to_string("exchange/_order_fields.html", {"form": form})
    if settings.DEBUG:
        return render_to_string(
            "exchange/_order_fields.html",
            {"form": OrderForm(market=market) if form is None else form},
        )
    key = (
        get_language(),
        market.base.symbol,
        market.base.decimals,
        market.quote.symbol,
        market.quote.decimals,
    )
    html = _order_fields.get(key)
    if html is None:
        html = _order_fields[key] = render_to_string(
            "exchange/_order_fields.html",
            {"form": OrderForm(market=market) if form is None else form},
        )
    return html


class WithdrawalAddressForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=64)
    label = forms.CharField(label=_("Label"), max_length=64, required=False)


class WithdrawalForm(forms.Form):
    asset = forms.ChoiceField(label=_("Asset"))
    address = forms.ChoiceField(label=_("To address"))
    amount = forms.CharField(label=_("Amount"), max_length=40)

    def __init__(self, *args, assets, addresses, **kwargs):
        super().__init__(*args, **kwargs)
        self.assets = {a.symbol: a for a in assets}
        self.fields["asset"].choices = [(a.symbol, a.symbol) for a in assets]
        self.fields["address"].choices = [(a.address, f"{a.label or a.address}") for a in addresses]

    def clean(self):
        data = super().clean()
        asset = self.assets.get(data.get("asset"))
        if asset and data.get("amount"):
            try:
                data["units"] = to_units(data["amount"], asset.decimals)
            except ValueError:
                self.add_error(
                    "amount",
                    _("Enter a number with at most %(d)s decimals.") % {"d": asset.decimals},
                )
        return data


class BankForm(forms.Form):
    """KRW in or out through one of the user's verified bank links (never a typed number)."""

    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("in", _("Deposit KRW")), ("out", _("Withdraw KRW"))]
    )
    bank_link = forms.ChoiceField(label=_("Bank account"))
    amount = forms.IntegerField(label=_("Amount (KRW)"), min_value=1, max_value=MAX_AMOUNT)

    def __init__(self, *args, links, **kwargs):
        super().__init__(*args, **kwargs)
        self.links = {str(link.public_id): link for link in links}
        self.fields["bank_link"].choices = [(key, link.label) for key, link in self.links.items()]

    def clean_bank_link(self):
        return self.links[self.cleaned_data["bank_link"]]


class ProofCheckForm(forms.Form):
    proof = forms.FileField(label=_("Proof file (JSON)"))
