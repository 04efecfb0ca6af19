"""The exchange's web pages: markets, trading, wallet, proof of liabilities."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from busanhub import spreadsheet
from busanhub.bank.links import bank_links_of
from busanhub.chain.qr import svg_data_uri
from busanhub.pagination import PER_PAGE, is_first_page, page_of
from busanhub.url_fillers import url_filler
from exchange import exports, selectors, services, sumtree
from exchange.amounts import from_units
from exchange.forms import (
    BankForm,
    OrderForm,
    ProofCheckForm,
    WithdrawalAddressForm,
    WithdrawalForm,
    order_form_fields,
)
from exchange.models import Asset, LiabilitySnapshot, Order, WithdrawalAddress


def _apply_errors(form, error: ValidationError) -> None:
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, texts in errors.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


def home(request):
    return render(
        request,
        "exchange/home.html",
        {
            "markets": [(m, selectors.ticker(market=m)) for m in selectors.markets_listed()],
            "kyc_level": services.kyc_level(user=request.user)
            if request.user.is_authenticated
            else 0,
        },
    )


# An order's labels by value, as get_side_display() and the others give them (lazy: each
# row's label is made in the language of its request).
_SIDE_LABELS = dict(Order.Side.choices)
_KIND_LABELS = dict(Order.Kind.choices)
_STATUS_LABELS = dict(Order.Status.choices)


def _shown_at(created_at) -> tuple[str, str]:
    """What the template's |date filters made of a row's time: ISO and shown, in KST."""
    created = timezone.localtime(created_at)
    return created.isoformat(), created.strftime("%Y-%m-%d %H:%M:%S")


def trade(request, symbol):
    market = selectors.market_for_trading(symbol=symbol)
    if market is None:
        raise Http404
    form = None  # unbound: its fields' HTML is kept per pair and language (order_form_fields)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        form = OrderForm(request.POST, market=market)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.order_place(
                    user=request.user,
                    market=market,
                    side=data["side"],
                    kind=data["kind"],
                    price=data["price"],
                    quantity=data["quantity"],
                    quote_amount=data["quote_amount"],
                    time_in_force=data["time_in_force"],
                    post_only=data["post_only"],
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(
                    request, _("Order placed: %(status)s.") % {"status": order.get_status_display()}
                )
                return redirect("exchange:trade", symbol=market.symbol)
    context = {
        "market": market,
        "form": form,
        "last_price": market.last_price,
        "taker_bps": market.taker_bps,
        "order_fields": order_form_fields(form, market=market),
        # The page's parts that name only the market's two assets ({% shared %}: rendered
        # once per process, language and pair).
        "assets_key": f"{market.base.symbol}/{market.quote.symbol}",
    }
    if request.user.is_authenticated:
        context.update(_trader_rows(request, market))
    return render(
        request, "exchange/trade.html", context, status=400 if form and form.errors else 200
    )


# The rows of the open orders and the history as trade.html wrote them (`{{ order.… }}` in a
# loop, with `{% csrf_token %}` and `{% translate "Cancel" %}`), from the row's text escaped as
# the template escapes it (format_html). Made here: a row's eight template variables, its tag
# and its translation cost more than the page's queries (BENCHMARKS.md, branch i-trade).
_OPEN_ROW = (
    '<tr><td><time datetime="{}">{}</time></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\n'
    '        <td><form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken"'
    ' value="{}"><button type="submit" class="button button-small button-secondary">{}</button>'
    "</form></td></tr>"
)
_PAST_ROW = (
    '<tr><td><time datetime="{}">{}</time></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
    "<td>{}</td></tr>"
)


def _trader_rows(request, market) -> dict:
    """The signed-in trader's balances, open orders and order history on the trading page:
    one prepared statement for the three (the first pages; a later page, or the count of a
    longer list, from `orders_for`), each row's HTML made here."""
    user = request.user
    panel = selectors.trading_panel(user=user, market=market, rows=PER_PAGE + 1)
    base_decimals, quote_decimals = market.base.decimals, market.quote.decimals
    cancel_url = url_filler("exchange:order-cancel")
    token = get_token(request)
    cancel = _("Cancel")

    def open_row(row):
        public_id, side, _kind, price, quantity, filled, _quote, _status, created_at = row
        return format_html(
            _OPEN_ROW,
            *_shown_at(created_at),
            _SIDE_LABELS[side],
            from_units(price, quote_decimals),
            from_units(quantity, base_decimals),
            from_units(filled, base_decimals),
            cancel_url(public_id),
            token,
            cancel,
        )

    def past_row(row):
        _public_id, side, kind, _price, _quantity, filled, filled_quote, status, created_at = row
        return format_html(
            _PAST_ROW,
            *_shown_at(created_at),
            _SIDE_LABELS[side],
            _KIND_LABELS[kind],
            from_units(filled, base_decimals),
            from_units(filled_quote, quote_decimals),
            _STATUS_LABELS[status],
        )

    pages = {}
    for name, param, is_open, first_rows, make in (
        ("open_orders", "orders_page", True, panel.open_orders, open_row),
        ("history", "history_page", False, panel.past_orders, past_row),
    ):
        if is_first_page(request, param) and len(first_rows) <= PER_PAGE:
            page = page_of(request, first_rows, param=param)  # the whole list: no queryset
        else:
            orders = selectors.orders_for(user=user, market=market, is_open=is_open)
            page = page_of(
                request,
                orders.values_list(*selectors.ORDER_ROW_FIELDS),
                param=param,
                first_rows=first_rows,
            )
        page.object_list = [make(row) for row in page.object_list]
        pages[name] = page
    return {
        # the page's forms share the rows' token (the template's {% csrf_token %} would mask
        # the secret once more)
        "csrf_token": token,
        # each asset in its own decimals
        "balances": [
            {
                "symbol": symbol,
                "available": from_units(available, decimals),
                "held": from_units(held, decimals),
            }
            for symbol, decimals, available, held in panel.balances
        ],
        **pages,
    }


@login_required
@require_POST
def order_cancel(request, public_id):
    order = get_object_or_404(
        Order.objects.select_related("market"), public_id=public_id, owner=request.user
    )
    try:
        order = services.order_cancel(user=request.user, order=order)
        if order.status in Order.ACTIVE_STATUSES:  # queued for the market's matcher
            messages.success(request, _("Cancellation requested."))
        else:
            messages.success(request, _("Order cancelled."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("exchange:trade", symbol=order.market.symbol)


@login_required
def wallet(request):
    user = request.user
    level = services.kyc_level(user=user)
    address = services.deposit_address_assign(user=user) if level else None
    assets = list(Asset.objects.exclude(kind=Asset.Kind.FIAT))
    addresses = list(WithdrawalAddress.objects.filter(owner=user).order_by("created_at"))
    address_form = WithdrawalAddressForm()
    withdrawal_form = WithdrawalForm(assets=assets, addresses=addresses)
    links = bank_links_of(user=user, verified_only=True)
    bank_form = BankForm(links=links)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "allowlist":
                address_form = WithdrawalAddressForm(request.POST)
                if address_form.is_valid():
                    services.withdrawal_address_add(user=user, **address_form.cleaned_data)
                    messages.success(request, _("Address added to your allow-list."))
                    return redirect("exchange:wallet")
            elif action == "withdraw":
                withdrawal_form = WithdrawalForm(request.POST, assets=assets, addresses=addresses)
                if withdrawal_form.is_valid():
                    data = withdrawal_form.cleaned_data
                    withdrawal = services.withdrawal_request(
                        user=user,
                        asset=data["asset"],
                        address=data["address"],
                        amount=data["units"],
                    )
                    from exchange.tasks import withdrawal_enqueue

                    withdrawal_enqueue(withdrawal)
                    messages.success(
                        request,
                        _("Withdrawal requested: %(status)s.")
                        % {"status": withdrawal.get_status_display()},
                    )
                    return redirect("exchange:wallet")
            elif action == "bank":
                bank_form = BankForm(request.POST, links=links)
                if bank_form.is_valid():
                    data = bank_form.cleaned_data
                    move = (
                        services.krw_deposit
                        if data["direction"] == "in"
                        else (services.krw_withdraw)
                    )
                    transfer = move(user=user, bank_link=data["bank_link"], amount=data["amount"])
                    messages.success(
                        request,
                        _("Bank transfer: %(status)s.") % {"status": transfer.get_status_display()},
                    )
                    return redirect("exchange:wallet")
        except ValidationError as error:
            form = {"allowlist": address_form, "withdraw": withdrawal_form}.get(action, bank_form)
            _apply_errors(form, error)
        status = 400
    return render(
        request,
        "exchange/wallet.html",
        {
            "kyc_level": level,
            "address": address,
            "qr": svg_data_uri(address.address) if address else None,
            "balance_rows": selectors.balance_rows(user=user),
            "allowlist": addresses,
            "address_form": address_form,
            "withdrawal_form": withdrawal_form,
            "bank_form": bank_form,
            "has_bank_links": bool(links),
            "deposits": page_of(
                request,
                selectors.deposits_for(user=user).order_by("-created_at", "-pk"),
                param="deposits_page",
            ),
            "withdrawals": page_of(
                request,
                selectors.withdrawals_for(user=user).order_by("-created_at", "-pk"),
                param="withdrawals_page",
            ),
        },
        status=status,
    )


@login_required
@require_GET
def history_csv(request, kind):
    """The requester's own orders, trades, deposits or withdrawals as CSV."""
    if kind not in exports.KINDS:
        raise Http404
    day = timezone.localdate().isoformat()
    return spreadsheet.csv_response(
        exports.history_csv(user=request.user, kind=kind),
        filename=f"exchange-{kind}-{day}.csv",
    )


def proof(request):
    snapshot = LiabilitySnapshot.objects.order_by("-created_at").first()
    rows = []
    if snapshot:
        assets = {a.symbol: a for a in Asset.objects.all()}
        for symbol, total in snapshot.totals.items():
            reserve = snapshot.reserves.get(symbol)
            ratio = (
                f"{int(reserve) * 100 / int(total):.1f} %"
                if reserve is not None and int(total)
                else None
            )
            rows.append(
                {
                    "asset": assets.get(symbol),
                    "symbol": symbol,
                    "total": total,
                    "reserve": reserve,
                    "ratio": ratio,
                }
            )
    form = ProofCheckForm()
    result = None
    if request.method == "POST":
        form = ProofCheckForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = json.loads(form.cleaned_data["proof"].read(1_000_000))
                problems = (
                    sumtree.verify(document)
                    if isinstance(document, dict)
                    else ["not a BusanLiabilityProof"]
                )
            except ValueError:
                problems = ["not JSON"]
            result = {
                "ok": not problems,
                "problems": problems,
                "root": document.get("root") if not problems else None,
            }
    return render(
        request,
        "exchange/proof.html",
        {
            "snapshot": snapshot,
            "rows": rows,
            "form": form,
            "result": result,
        },
    )


@login_required
def proof_download(request, public_id):
    snapshot = get_object_or_404(LiabilitySnapshot, public_id=public_id)
    document = services.liability_proof(snapshot=snapshot, user=request.user)
    if document is None:
        raise Http404
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="liability-proof-{public_id}.json"'
    return response
