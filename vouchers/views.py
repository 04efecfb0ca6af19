"""Citizen and merchant pages of Busan Digital Voucher. They call the same services as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from busanhub import spreadsheet
from busanhub.accounts.reauth import ReauthLocked, password_recheck
from busanhub.pagination import PER_PAGE, is_first_page, page_of
from busanhub.url_fillers import url_filler

from . import forms, reports, selectors, services
from .models import BankLink, Merchant, Payment, PaymentRequest, Settlement
from .qr import qr_data_uri


def _apply_errors(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


_ANY_DIGEST = "0x" + "0" * 64
_PAYMENTS_PER_PAGE = 10


def _date_and_time(moment) -> tuple[str, str]:
    """`moment|date:"Y-m-d"` and `moment|date:"H:i"` in the active time zone."""
    local = timezone.localtime(moment)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


@login_required
def home(request):
    wallet, about = selectors.wallet_home(user=request.user)
    # First pages by prepared statements (the same rows as the querysets, which count a
    # longer list and serve the other pages).
    history = page_of(
        request,
        selectors.wallet_history(wallet=wallet),
        first_rows=selectors.wallet_history_first(wallet=wallet, limit=PER_PAGE + 1)
        if is_first_page(request)
        else None,
    )
    # What the template's {% url %} and |date filters made of each row, once per page.
    verify_url = url_filler("chain:verify-digest", _ANY_DIGEST)
    for posting in history:
        posting.label = selectors.posting_label(posting)
        posting.account_label = selectors.account_label(posting.account)
        posting.shown_date, posting.shown_time = _date_and_time(posting.transaction.created_at)
        digest = posting.transaction.digest
        posting.verify_url = verify_url(digest) if digest else ""
    payments = page_of(
        request,
        selectors.payments_for_wallet(wallet=wallet).order_by("-pk"),
        per_page=_PAYMENTS_PER_PAGE,
        param="payments_page",
        first_rows=selectors.payments_for_wallet_first(wallet=wallet, limit=_PAYMENTS_PER_PAGE + 1)
        if is_first_page(request, "payments_page")
        else None,
    )
    receipt_url = url_filler("vouchers:receipt")
    for payment in payments:
        payment.shown_date, payment.shown_time = _date_and_time(payment.created_at)
        payment.receipt_url = receipt_url(payment.public_id)
    links = selectors.bank_links_of(user=request.user, verified_only=True)
    balances, grants = selectors.wallet_overview(wallet=wallet)
    return render(
        request,
        "vouchers/home.html",
        {
            "wallet": wallet,
            "balances": balances,
            "grants": grants,
            "history": history,
            "payments": payments,
            "policy": about,  # the two caps of the policy in force
            "topup_form": forms.TopUpForm(links=links),
            "has_links": bool(links),
            "pending_topups": about["pending_topups"],
            "is_merchant": about["is_merchant"],
        },
    )


@login_required
def topup(request):
    links = selectors.bank_links_of(user=request.user, verified_only=True)
    form = forms.TopUpForm(request.POST or None, links=links)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.topup_create(
                user=request.user,
                bank_link=form.cleaned_data["bank_account"],
                amount=form.cleaned_data["amount"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if done.status == done.Status.COMPLETED:
                messages.success(
                    request, _("Topped up %(amount)s KRW.") % {"amount": f"{done.amount:,}"}
                )
                return redirect("vouchers:home")
            messages.warning(request, _("The bank has not answered yet; we will keep asking."))
            return redirect("vouchers:topups")
    return render(request, "vouchers/form.html", {"form": form, "title": _("Top up")})


@login_required
def topups(request):
    """The citizen's own top-ups with their status (pending ones: the bank has not answered)."""
    return render(
        request,
        "vouchers/topups.html",
        {"topups": page_of(request, selectors.topups_of(user=request.user))},
    )


@login_required
def history_csv(request):
    """The citizen's own wallet history as CSV (every posting; the wallet is the requester's)."""
    wallet = selectors.wallet_for(user=request.user)
    day = timezone.localdate().isoformat()
    return spreadsheet.csv_response(
        reports.wallet_history_csv(wallet=wallet), filename=f"voucher-history-{day}.csv"
    )


@login_required
def bank_links(request):
    form = forms.BankLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.bank_link_add(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return redirect("vouchers:bank-link", public_id=link.public_id)
    return render(
        request,
        "vouchers/bank_links.html",
        # At most MAX_LINKS live links, one page; paginated like every list for its count.
        {"form": form, "links": page_of(request, selectors.bank_links_of(user=request.user))},
        status=400 if form.errors else 200,
    )


def _own_link(request, public_id) -> BankLink:
    # Another citizen's link is a 404, as one that does not exist.
    return get_object_or_404(
        BankLink, public_id=public_id, user=request.user, removed_at__isnull=True
    )


@login_required
def bank_link(request, public_id):
    link = _own_link(request, public_id)
    form = forms.BankLinkVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.bank_link_verify(user=request.user, link=link, code=form.cleaned_data["code"])
        except ValidationError as error:
            _apply_errors(form, error)
            link.refresh_from_db()
        else:
            messages.success(request, _("Bank account verified: you can top up from it."))
            return redirect("vouchers:bank-links")
    from .services.banklinks import sandbox_statement

    link.label = selectors.bank_link_label(link)
    return render(
        request,
        "vouchers/bank_link.html",
        {"link": link, "form": form, "sandbox_memo": sandbox_statement(link=link)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def bank_link_resend(request, public_id):
    link = _own_link(request, public_id)
    try:
        services.bank_link_verification_send(user=request.user, link=link)
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, _("We sent a new 1 KRW transfer with a new code."))
    return redirect("vouchers:bank-link", public_id=link.public_id)


@login_required
@require_POST
def bank_link_remove(request, public_id):
    link = _own_link(request, public_id)
    services.bank_link_remove(user=request.user, link=link)
    messages.success(request, _("Bank account removed."))
    return redirect("vouchers:bank-links")


@login_required
def gift(request):
    form = forms.GiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.gift_send(
                sender=request.user,
                recipient_email=form.cleaned_data["recipient"],
                amount=form.cleaned_data["amount"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            # The same words whether or not the address has an account (see gift_send).
            messages.success(
                request,
                _(
                    "Gift sent. If the address has no BusanHub account that can receive it yet, "
                    "the gift waits for one for 30 days, then comes back to you."
                ),
            )
            return redirect("vouchers:home")
    return render(request, "vouchers/form.html", {"form": form, "title": _("Send a gift")})


@login_required
def pay(request):
    form = forms.PayCodeForm(request.GET or None)
    if request.GET and form.is_valid():
        try:
            merchant = services.merchant_payable(form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error.message_dict["merchant"][0])
        else:
            return redirect("vouchers:pay-merchant", code=merchant.code)
    return render(request, "vouchers/pay.html", {"form": form})


def _pay(request, *, form, merchant, amount, request_id=None):
    password = form.cleaned_data.get("password") or ""
    try:
        if password and not password_recheck(
            user=request.user, password=password, action="vouchers.payment"
        ):
            form.add_error("password", _("The password is not correct."))
            return None
    except ReauthLocked as exc:
        form.add_error("password", str(exc))
        return None
    try:
        return services.payment_create(
            payer=request.user,
            merchant_code=None if request_id else merchant.code,
            amount=None if request_id else amount,
            request_id=request_id,
            reauthenticated=bool(password),
        )
    except ValidationError as error:
        _apply_errors(form, error)
        return None


@login_required
def pay_merchant(request, code):
    merchant = get_object_or_404(Merchant, code=code.upper(), status=Merchant.Status.APPROVED)
    form = forms.PayAmountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payment = _pay(request, form=form, merchant=merchant, amount=form.cleaned_data["amount"])
        if payment is not None:
            return redirect("vouchers:receipt", public_id=payment.public_id)
    return render(
        request,
        "vouchers/confirm.html",
        {"form": form, "merchant": merchant, "policy": services.policy_current()},
    )


@login_required
def pay_request(request, public_id):
    payment_request = get_object_or_404(
        PaymentRequest.objects.select_related("merchant"), public_id=public_id
    )
    form = forms.ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payment = _pay(
            request,
            form=form,
            merchant=payment_request.merchant,
            amount=payment_request.amount,
            request_id=payment_request.public_id,
        )
        if payment is not None:
            return redirect("vouchers:receipt", public_id=payment.public_id)
    return render(
        request,
        "vouchers/confirm.html",
        {
            "form": form,
            "merchant": payment_request.merchant,
            "payment_request": payment_request,
            "is_expired": payment_request.expires_at <= timezone.now(),
            "policy": services.policy_current(),
        },
    )


@login_required
def receipt(request, public_id):
    payment = get_object_or_404(
        Payment.objects.select_related("merchant", "journal", "wallet"), public_id=public_id
    )
    if request.user.pk not in (payment.wallet.user_id, payment.merchant.owner_id):
        raise Http404
    return render(
        request,
        "vouchers/receipt.html",
        {
            "payment": payment,
            "refunds": list(payment.refunds.select_related("journal").order_by("pk")),
            "is_merchant": payment.merchant.owner_id == request.user.pk,
            "refund_form": forms.RefundForm(),
        },
    )


@login_required
def merchant_home(request):
    merchants = list(selectors.merchants_of(user=request.user))
    if len(merchants) == 1 and merchants[0].status == Merchant.Status.APPROVED:
        return redirect("vouchers:merchant-dashboard", code=merchants[0].code)
    return render(request, "vouchers/merchant_home.html", {"merchants": merchants})


@login_required
def merchant_apply(request):
    form = forms.MerchantApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.merchant_apply(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Application received. City staff will review it."))
            return redirect("vouchers:merchant-home")
    return render(request, "vouchers/form.html", {"form": form, "title": _("Register your shop")})


def _own_merchant(request, code) -> Merchant:
    merchant = get_object_or_404(
        Merchant.objects.select_related("account"),
        code=code.upper(),
        status=Merchant.Status.APPROVED,
    )
    if merchant.owner_id != request.user.pk:
        raise Http404
    return merchant


@login_required
def merchant_dashboard(request, code):
    merchant = _own_merchant(request, code)
    static_url = request.build_absolute_uri(reverse("vouchers:pay-merchant", args=[merchant.code]))
    return render(
        request,
        "vouchers/merchant_dashboard.html",
        {
            "merchant": merchant,
            "day": selectors.merchant_day(merchant=merchant, day=timezone.localdate()),
            "static_qr": qr_data_uri(static_url),
            "static_url": static_url,
            "request_form": forms.PaymentRequestForm(),
        },
    )


@login_required
def merchant_request(request, code):
    merchant = _own_merchant(request, code)
    form = forms.PaymentRequestForm(request.POST or None)
    payment_request = None
    if request.method == "POST" and form.is_valid():
        try:
            payment_request = services.payment_request_create(
                merchant=merchant, amount=form.cleaned_data["amount"], by=request.user
            )
        except ValidationError as error:
            _apply_errors(form, error)
    pay_url = (
        request.build_absolute_uri(
            reverse("vouchers:pay-request", args=[payment_request.public_id])
        )
        if payment_request
        else ""
    )
    return render(
        request,
        "vouchers/merchant_request.html",
        {
            "merchant": merchant,
            "form": form,
            "payment_request": payment_request,
            "pay_url": pay_url,
            "qr": qr_data_uri(pay_url) if pay_url else "",
        },
    )


@login_required
@require_POST
def merchant_refund(request, public_id):
    payment = get_object_or_404(Payment.objects.select_related("merchant"), public_id=public_id)
    if payment.merchant.owner_id != request.user.pk:
        raise Http404
    form = forms.RefundForm(request.POST)
    if form.is_valid():
        try:
            services.refund_create(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Refunded %(amount)s KRW.") % {"amount": f"{form.cleaned_data['amount']:,}"},
            )
            return redirect("vouchers:receipt", public_id=payment.public_id)
    return render(
        request,
        "vouchers/receipt.html",
        {
            "payment": payment,
            "refunds": list(payment.refunds.select_related("journal").order_by("pk")),
            "is_merchant": True,
            "refund_form": form,
        },
        status=400,
    )


@login_required
def settlement_report(request, public_id, fmt):
    settlement = get_object_or_404(
        Settlement.objects.select_related("merchant"), public_id=public_id
    )
    is_staff = request.user.has_perm("vouchers.view_settlement")
    if settlement.merchant.owner_id != request.user.pk and not is_staff:
        raise PermissionDenied
    name = f"settlement-{settlement.merchant.code}-{settlement.business_date.isoformat()}"
    if fmt == "csv":
        return spreadsheet.csv_response(
            reports.settlement_csv(settlement=settlement), filename=f"{name}.csv"
        )
    if fmt == "xlsx":
        return spreadsheet.xlsx_response(
            reports.settlement_xlsx(settlement=settlement), filename=f"{name}.xlsx"
        )
    raise Http404
