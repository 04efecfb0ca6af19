"""Input and output shapes of /api/v1/vouchers/. Amounts are integers of KRW."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from busanhub.bank.links import BANK_CHOICES

from . import limits
from .models import (
    BankLink,
    Gift,
    JournalTransaction,
    Payment,
    PaymentRequest,
    Posting,
    Refund,
    TopUp,
)


class StrictAmountField(serializers.IntegerField):
    """A positive whole number of KRW up to `max_value` (one of vouchers.limits, published as
    the schema's `maximum`); 1.5, "100", true are refused (no coercion for money)."""

    default_error_messages = {
        "invalid": "The amount must be a positive whole number of KRW.",
        "max_value": _("The amount can be at most {max_value} KRW."),
    }

    def __init__(self, *, max_value: int, **kwargs):
        super().__init__(min_value=1, max_value=max_value, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int) or data <= 0:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class TopUpInSerializer(serializers.Serializer):
    amount = StrictAmountField(max_value=limits.MAX_TOPUP)
    bank_account = serializers.CharField(
        max_length=40,
        help_text="A verified linked account: its id (bank-links/) or its reference "
        "`<bank code>-<digits>`.",
    )


class TopUpSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    bank_link = serializers.UUIDField(source="bank_link.public_id")
    digest = serializers.CharField(source="journal.digest", default=None)

    class Meta:
        model = TopUp
        fields = ["id", "bank_link", "amount", "status", "created_at", "digest"]


class BankLinkInSerializer(serializers.Serializer):
    bank_code = serializers.ChoiceField(choices=BANK_CHOICES)
    account_number = serializers.CharField(max_length=20)


class BankLinkVerifyInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=10)


class BankLinkSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    account = serializers.SerializerMethodField(help_text="The bank and the last four digits.")

    class Meta:
        model = BankLink
        fields = ["id", "bank_code", "account", "status", "verified_at", "created_at"]

    def get_account(self, link) -> str:
        from .selectors import bank_link_label

        return bank_link_label(link)


class PaymentInSerializer(serializers.Serializer):
    merchant = serializers.CharField(max_length=12, required=False)
    amount = StrictAmountField(max_value=limits.MAX_PAYMENT, required=False)
    payment_request = serializers.UUIDField(required=False)
    password = serializers.CharField(required=False, write_only=True, trim_whitespace=False)

    def validate(self, attrs):
        if "payment_request" in attrs:
            if "merchant" in attrs or "amount" in attrs:
                raise serializers.ValidationError(
                    {"payment_request": ["Give either a payment request or a merchant and amount."]}
                )
        else:
            for field in ("merchant", "amount"):
                if field not in attrs:
                    raise serializers.ValidationError({field: ["This field is required."]})
        return attrs


def verify_url(digest: str) -> str | None:
    return reverse("chain:verify-digest", args=[digest]) if digest else None


class PaymentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    merchant = serializers.CharField(source="merchant.code")
    merchant_name = serializers.CharField(source="merchant.name")
    digest = serializers.CharField(source="journal.digest")
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "merchant",
            "merchant_name",
            "amount",
            "from_grants",
            "from_cashback",
            "from_cash",
            "cashback",
            "refunded",
            "created_at",
            "digest",
            "verify_url",
        ]

    def get_verify_url(self, payment) -> str | None:
        return verify_url(payment.journal.digest)


class RefundInSerializer(serializers.Serializer):
    amount = StrictAmountField(max_value=limits.MAX_REFUND)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RefundSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    payment = serializers.UUIDField(source="payment.public_id")
    digest = serializers.CharField(source="journal.digest")

    class Meta:
        model = Refund
        fields = ["id", "payment", "amount", "cashback_reversed", "reason", "created_at", "digest"]


class GiftInSerializer(serializers.Serializer):
    recipient = serializers.EmailField()
    amount = StrictAmountField(max_value=limits.MAX_GIFT)
    message = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")


class GiftSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    digest = serializers.CharField(source="journal.digest")

    class Meta:
        model = Gift
        fields = ["id", "amount", "message", "created_at", "digest"]


class PaymentRequestInSerializer(serializers.Serializer):
    merchant = serializers.CharField(max_length=12)
    amount = StrictAmountField(max_value=limits.MAX_PAYMENT_REQUEST)


class PaymentRequestSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    merchant = serializers.CharField(source="merchant.code")
    pay_url = serializers.SerializerMethodField()

    class Meta:
        model = PaymentRequest
        fields = ["id", "merchant", "amount", "expires_at", "pay_url"]

    def get_pay_url(self, request) -> str:
        return reverse("vouchers:pay-request", args=[request.public_id])


class WalletSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)
    is_frozen = serializers.BooleanField()
    cash = serializers.IntegerField()
    cashback = serializers.IntegerField()
    grants = serializers.IntegerField()
    total = serializers.IntegerField()


class TransactionQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=JournalTransaction.Kind.choices, required=False)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)


class PostingSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="transaction.public_id")
    kind = serializers.CharField(source="transaction.kind")
    business_date = serializers.DateField(source="transaction.business_date")
    created_at = serializers.DateTimeField(source="transaction.created_at")
    account = serializers.CharField(source="account.kind")
    digest = serializers.CharField(source="transaction.digest")

    class Meta:
        model = Posting
        fields = ["id", "kind", "business_date", "created_at", "account", "amount", "digest"]
