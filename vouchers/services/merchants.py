"""Merchant onboarding (application → staff approval) and dynamic payment requests."""

import re
import secrets
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.accounts.roles import role_assign
from busanhub.chain.services import anchor_record
from vouchers import ledger, limits
from vouchers.models import Account, Merchant, PaymentRequest

from .core import check_amount, policy_current, refuse

BUSINESS_NUMBER_RE = re.compile(r"^[0-9]{3}-[0-9]{2}-[0-9]{5}$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REQUEST_LIFETIME = timedelta(minutes=5)


def _new_code() -> str:
    return "M" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


def _anchor(merchant: Merchant, version: int) -> None:
    # Public facts of a business only (no owner, no bank account).
    anchor_record(
        kind="vouchers.merchant",
        ref=merchant.code,
        version=version,
        data={
            "code": merchant.code,
            "name": merchant.name,
            "businessNumber": merchant.business_number,
            "category": merchant.category,
            "tier": merchant.tier,
            "status": merchant.status,
        },
        public=True,
    )


@transaction.atomic
def merchant_apply(
    *,
    owner,
    name: str,
    business_number: str,
    category: str,
    address: str,
    latitude: Decimal,
    longitude: Decimal,
    tier: str,
    bank_account_ref: str,
    name_ko: str = "",
) -> Merchant:
    """Files a merchant application (status pending). Refuses the categories the policy
    excludes (department stores, large marts, entertainment...) and a business number that
    already has a live application."""
    if not BUSINESS_NUMBER_RE.match(business_number or ""):
        raise refuse("business_number", _("A business registration number reads 123-45-67890."))
    if category not in ledger.CATEGORIES:
        raise refuse("category", _("Choose a category from the list."))
    if category in policy_current().excluded_categories:
        raise refuse("category", _("This category cannot accept Busan vouchers."))
    if Merchant.objects.filter(business_number=business_number).exclude(status="rejected").exists():
        raise refuse("business_number", _("This business is already registered or applying."))
    merchant = Merchant(
        code=_new_code(),
        owner=owner,
        name=name,
        name_ko=name_ko,
        business_number=business_number,
        category=category,
        address=address,
        latitude=latitude,
        longitude=longitude,
        tier=tier,
        bank_account_ref=bank_account_ref,
    )
    merchant.full_clean()
    try:
        with transaction.atomic():
            merchant.save()
    except IntegrityError as exc:
        raise refuse("business_number", _("This business is already registered.")) from exc
    return merchant


def _issue_merchant_credential(merchant: Merchant) -> None:
    from identity import services as identity_services

    issuer = identity_services.city_issuer()
    wallet = identity_services.wallet_open(user=merchant.owner)
    identity_services.credential_issue(
        issuer=issuer,
        subject_did=wallet.did,
        types=["MerchantCredential"],
        claims={
            "businessNumber": merchant.business_number,
            "category": merchant.category,
            "tier": merchant.tier,
        },
        holder=merchant.owner,
    )


@transaction.atomic
def merchant_approve(*, merchant: Merchant, by=None) -> Merchant:
    """Approves a pending application: opens the merchant account, gives the owner the
    merchant role and a MerchantCredential (B Pass), anchors the merchant (version 1)."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if merchant.status != Merchant.Status.PENDING:
        raise refuse("status", _("Only a pending application can be approved."))
    if merchant.category in policy_current().excluded_categories:
        raise refuse("category", _("This category cannot accept Busan vouchers."))
    merchant.status = Merchant.Status.APPROVED
    merchant.decided_by = by
    merchant.save(update_fields=["status", "decided_by"])
    Account.objects.create(kind=Account.Kind.MERCHANT, merchant=merchant)
    role_assign(user=merchant.owner, role="merchant")
    _issue_merchant_credential(merchant)
    _anchor(merchant, 1)
    return merchant


@transaction.atomic
def merchant_reject(*, merchant: Merchant, reason: str, by=None) -> Merchant:
    """Rejects a pending application with a reason."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if merchant.status != Merchant.Status.PENDING:
        raise refuse("status", _("Only a pending application can be rejected."))
    if not reason.strip():
        raise refuse("reason", _("Give the reason."))
    merchant.status = Merchant.Status.REJECTED
    merchant.decision_reason = reason.strip()[:200]
    merchant.decided_by = by
    merchant.save(update_fields=["status", "decision_reason", "decided_by"])
    return merchant


@transaction.atomic
def merchant_set_frozen(*, merchant: Merchant, is_frozen: bool, reason: str, by=None) -> Merchant:
    """Freezes or unfreezes a merchant (a frozen merchant accepts no payment)."""
    if not reason.strip():
        raise refuse("reason", _("Give the reason."))
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    merchant.is_frozen = is_frozen
    merchant.decision_reason = reason.strip()[:200]
    merchant.save(update_fields=["is_frozen", "decision_reason"])
    return merchant


def merchant_payable(code) -> Merchant:
    """The approved, unfrozen merchant of a code, or a ValidationError naming `merchant`."""
    merchant = (
        Merchant.objects.select_related("account").filter(code=code.strip().upper()).first()
        if isinstance(code, str) and code
        else None
    )
    if merchant is None:
        raise refuse("merchant", _("Unknown merchant code."))
    if merchant.status != Merchant.Status.APPROVED:
        raise refuse("merchant", _("This merchant is not approved to accept vouchers."))
    if merchant.is_frozen:
        raise refuse("merchant", _("This merchant is frozen and cannot accept payments."))
    return merchant


@transaction.atomic
def payment_request_create(*, merchant: Merchant, amount: int, by) -> PaymentRequest:
    """A dynamic QR for `amount`, payable once within five minutes, by the merchant's owner."""
    check_amount(amount, maximum=limits.MAX_PAYMENT_REQUEST)
    if by is None or merchant.owner_id != by.pk:
        raise ValidationError({"merchant": [_("You do not run this merchant.")]})
    merchant_payable(merchant.code)
    request = PaymentRequest(
        merchant=merchant, amount=amount, expires_at=timezone.now() + REQUEST_LIFETIME
    )
    request.full_clean()
    request.save()
    return request
