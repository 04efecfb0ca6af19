"""`/api/v1/vouchers/`: the wallet, top-ups, payments, refunds, gifts and the history.

Every POST moves money (or reserves it) and so accepts `Idempotency-Key` (busanhub.idempotency)
and is throttled with the "money" rate.
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from busanhub.accounts.reauth import ReauthLocked, password_recheck
from busanhub.idempotency.decorators import idempotent

from . import selectors, services
from .models import BankLink, Merchant, Payment, PaymentRequest, TopUp
from .serializers import (
    BankLinkInSerializer,
    BankLinkSerializer,
    BankLinkVerifyInSerializer,
    GiftInSerializer,
    GiftSerializer,
    PaymentInSerializer,
    PaymentRequestInSerializer,
    PaymentRequestSerializer,
    PaymentSerializer,
    PostingSerializer,
    RefundInSerializer,
    RefundSerializer,
    TopUpInSerializer,
    TopUpSerializer,
    TransactionQuerySerializer,
    WalletSerializer,
)

app_name = "vouchers-api"

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Same key and body: the stored response; other body: 422; in flight: 409.",
)


class MoneyView(APIView):
    throttle_classes = [ScopedRateThrottle, UserRateThrottle]
    throttle_scope = "money"


class WalletView(APIView):
    @extend_schema(responses=WalletSerializer)
    def get(self, request):
        return Response(WalletSerializer(selectors.wallet_summary(user=request.user)).data)


def _own_link_for_topup(user, value: str) -> BankLink:
    for link in selectors.bank_links_of(user=user):
        if value in (str(link.public_id), link.account_ref):
            return link
    raise ValidationError({"bank_account": ["Link and verify this bank account first."]})


class TopUpView(MoneyView):
    @extend_schema(responses=TopUpSerializer(many=True))
    def get(self, request):
        """The caller's own top-ups, newest first (pending: the bank has not answered yet)."""
        topups = selectors.topups_of(user=request.user).select_related("journal")[:100]
        return Response(TopUpSerializer(topups, many=True).data)

    @extend_schema(
        request=TopUpInSerializer,
        responses={201: TopUpSerializer, 202: TopUpSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent("vouchers")
    def post(self, request):
        data = TopUpInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = _own_link_for_topup(request.user, data.validated_data["bank_account"])
        topup = services.topup_create(
            user=request.user, bank_link=link, amount=data.validated_data["amount"]
        )
        code = status.HTTP_201_CREATED if topup.status == TopUp.Status.COMPLETED else 202
        return Response(TopUpSerializer(topup).data, status=code)


class BankLinksView(MoneyView):
    @extend_schema(responses=BankLinkSerializer(many=True))
    def get(self, request):
        """The caller's linked bank accounts (removed ones are not listed)."""
        return Response(
            BankLinkSerializer(selectors.bank_links_of(user=request.user), many=True).data
        )

    @extend_schema(
        request=BankLinkInSerializer,
        responses={201: BankLinkSerializer, 200: BankLinkSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent("vouchers")
    def post(self, request):
        """Links an account and sends it 1 KRW whose memo carries the code to verify it with
        (`bank-links/<id>/verify/`). An account already linked is answered with 200."""
        data = BankLinkInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link, linked = services.bank_link_open(user=request.user, **data.validated_data)
        code = status.HTTP_201_CREATED if linked else status.HTTP_200_OK
        return Response(BankLinkSerializer(link).data, status=code)


def _own_link(request, public_id) -> BankLink:
    # Another citizen's link answers 404, like one that does not exist.
    return get_object_or_404(
        BankLink, public_id=public_id, user=request.user, removed_at__isnull=True
    )


class BankLinkDetailView(APIView):
    @extend_schema(responses=BankLinkSerializer)
    def get(self, request, public_id):
        return Response(BankLinkSerializer(_own_link(request, public_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, public_id):
        services.bank_link_remove(user=request.user, link=_own_link(request, public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BankLinkVerifyView(MoneyView):
    @extend_schema(request=BankLinkVerifyInSerializer, responses=BankLinkSerializer)
    def post(self, request, public_id):
        link = _own_link(request, public_id)
        data = BankLinkVerifyInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.bank_link_verify(
            user=request.user, link=link, code=data.validated_data["code"]
        )
        return Response(BankLinkSerializer(link).data)


class BankLinkResendView(MoneyView):
    @extend_schema(request=None, responses=BankLinkSerializer, parameters=[IDEMPOTENCY_HEADER])
    @idempotent("vouchers")
    def post(self, request, public_id):
        """Sends a new 1 KRW transfer with a new code (the previous code is void)."""
        link = services.bank_link_verification_send(
            user=request.user, link=_own_link(request, public_id)
        )
        return Response(BankLinkSerializer(link).data)


class PaymentsView(MoneyView):
    @extend_schema(
        request=PaymentInSerializer,
        responses={201: PaymentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent("vouchers")
    def post(self, request):
        data = PaymentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        password = values.get("password")
        if password is not None:
            try:
                correct = password_recheck(
                    user=request.user, password=password, action="vouchers.payment"
                )
            except ReauthLocked as exc:
                raise Throttled(wait=exc.retry_after, detail=str(exc)) from exc
            if not correct:
                raise ValidationError(
                    {"password": [_("The password is not correct.")]}, code="wrong_password"
                )
        payment = services.payment_create(
            payer=request.user,
            merchant_code=values.get("merchant"),
            amount=values.get("amount"),
            request_id=values.get("payment_request"),
            reauthenticated=password is not None,
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


def _visible_payment(request, public_id) -> Payment:
    payment = get_object_or_404(
        Payment.objects.select_related("merchant", "journal", "wallet"), public_id=public_id
    )
    if request.user.pk not in (payment.wallet.user_id, payment.merchant.owner_id):
        get_object_or_404(Payment.objects.none())  # 404: never reveal another's payment
    return payment


class PaymentDetailView(APIView):
    @extend_schema(responses=PaymentSerializer)
    def get(self, request, public_id):
        return Response(PaymentSerializer(_visible_payment(request, public_id)).data)


class RefundsView(MoneyView):
    @extend_schema(
        request=RefundInSerializer,
        responses={201: RefundSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent("vouchers")
    def post(self, request, public_id):
        payment = _visible_payment(request, public_id)
        data = RefundInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_create(
            payment=payment,
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class GiftsView(MoneyView):
    @extend_schema(
        request=GiftInSerializer, responses={201: GiftSerializer}, parameters=[IDEMPOTENCY_HEADER]
    )
    @idempotent("vouchers")
    def post(self, request):
        """Sends cash to an email address. The answer is the same whether or not the address
        has a BusanHub account: the money leaves the sender's cash and reaches the address's
        owner once they have a verified account that can receive it, or comes back to the
        sender after 30 days."""
        data = GiftInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gift = services.gift_send(
            sender=request.user,
            recipient_email=data.validated_data["recipient"],
            amount=data.validated_data["amount"],
            message=data.validated_data["message"],
        )
        return Response(GiftSerializer(gift).data, status=status.HTTP_201_CREATED)


class PaymentRequestsView(MoneyView):
    @extend_schema(
        request=PaymentRequestInSerializer,
        responses={201: PaymentRequestSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent("vouchers")
    def post(self, request):
        data = PaymentRequestInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merchant = Merchant.objects.filter(
            code=data.validated_data["merchant"], owner=request.user
        ).first()
        if merchant is None:
            raise ValidationError({"merchant": ["You do not run a merchant with this code."]})
        payment_request = services.payment_request_create(
            merchant=merchant, amount=data.validated_data["amount"], by=request.user
        )
        return Response(
            PaymentRequestSerializer(payment_request).data, status=status.HTTP_201_CREATED
        )


class PaymentRequestDetailView(APIView):
    """What a payer sees before confirming: the merchant and the amount."""

    @extend_schema(responses=PaymentRequestSerializer)
    def get(self, request, public_id):
        payment_request = get_object_or_404(
            PaymentRequest.objects.select_related("merchant"), public_id=public_id
        )
        return Response(PaymentRequestSerializer(payment_request).data)


class HistoryPagination(CursorPagination):
    ordering = ("-transaction_id", "pk")
    page_size = 50


class TransactionsView(ListAPIView):
    serializer_class = PostingSerializer
    pagination_class = HistoryPagination

    @extend_schema(parameters=[TransactionQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = TransactionQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.wallet_history(
            wallet=selectors.wallet_for(user=self.request.user),
            kind=query.validated_data.get("kind", ""),
            since=query.validated_data.get("since"),
            until=query.validated_data.get("until"),
        )


urlpatterns = [
    path("wallet/", WalletView.as_view(), name="wallet"),
    path("topups/", TopUpView.as_view(), name="topups"),
    path("bank-links/", BankLinksView.as_view(), name="bank-links"),
    path("bank-links/<uuid:public_id>/", BankLinkDetailView.as_view(), name="bank-link"),
    path(
        "bank-links/<uuid:public_id>/verify/",
        BankLinkVerifyView.as_view(),
        name="bank-link-verify",
    ),
    path(
        "bank-links/<uuid:public_id>/resend/",
        BankLinkResendView.as_view(),
        name="bank-link-resend",
    ),
    path("payments/", PaymentsView.as_view(), name="payments"),
    path("payments/<uuid:public_id>/", PaymentDetailView.as_view(), name="payment"),
    path("payments/<uuid:public_id>/refunds/", RefundsView.as_view(), name="refunds"),
    path("gifts/", GiftsView.as_view(), name="gifts"),
    path("payment-requests/", PaymentRequestsView.as_view(), name="payment-requests"),
    path(
        "payment-requests/<uuid:public_id>/",
        PaymentRequestDetailView.as_view(),
        name="payment-request",
    ),
    path("transactions/", TransactionsView.as_view(), name="transactions"),
]
