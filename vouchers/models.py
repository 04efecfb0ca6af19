"""Busan Digital Voucher: a double-entry ledger of integer KRW and the records around it.

Every movement of money is one `JournalTransaction` whose `Posting` lines sum to zero (checked
by the service, and on PostgreSQL by a deferred constraint trigger). `Account.balance` is the
materialised sum of an account's postings; a CheckConstraint keeps every account that holds
somebody's money at or above zero, and the services take row locks in a fixed order (wallet
rows, then accounts in pk order, then one incentive-pool shard).

Two kinds of account avoid being one row that every payment must lock:
- the incentive pool is split into `POOL_SHARDS` accounts (kind `incentive`, `shard` 0..N-1);
  the pool's balance is their sum, cashback draws from one shard, funding spreads over all;
- merchant accounts are only ever credited by payments, so their balance is *derived* (the
  sum of their postings, see `Account.DERIVED_KINDS`) instead of materialised: a payment
  inserts its posting and locks nothing of the merchant. Their `balance` column stays 0.
  A merchant account may go below zero: a refund after settlement is a receivable from the
  merchant, netted by the next settlement.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Linked bank accounts are the platform's (busanhub.bank): vouchers' top-ups and the exchange's
# KRW transfers use the same proven links. Re-exported for the app's older imports.
from busanhub.bank.models import BankLink, LinkStatus  # noqa: F401
from busanhub.i18n import LocalizedName


class Policy(models.Model):
    """One version of the voucher rules; the newest is in force. Each version is anchored."""

    version = models.PositiveIntegerField(pgettext_lazy("record", "version"), unique=True)
    monthly_topup_cap = models.PositiveBigIntegerField(_("monthly top-up cap (KRW)"))
    holding_cap = models.PositiveBigIntegerField(_("holding cap (KRW)"))
    cashback_small_bp = models.PositiveIntegerField(_("cashback, small merchants (basis points)"))
    cashback_medium_bp = models.PositiveIntegerField(_("cashback, medium merchants (basis points)"))
    cashback_large_bp = models.PositiveIntegerField(_("cashback, large merchants (basis points)"))
    monthly_cashback_cap = models.PositiveBigIntegerField(_("monthly cashback cap (KRW)"))
    reauth_threshold = models.PositiveBigIntegerField(
        _("re-authentication above (KRW)"),
        help_text=_("Payments above this amount ask for the password again."),
    )
    refund_window_days = models.PositiveIntegerField(_("refund window (days)"))
    gift_daily_limit = models.PositiveBigIntegerField(_("daily gift limit (KRW)"))
    excluded_categories = models.JSONField(_("excluded merchant categories"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    digest = models.CharField(_("anchor digest"), max_length=66, blank=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"policy v{self.version}"


class Merchant(LocalizedName, models.Model):
    class Tier(models.TextChoices):
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    code = models.CharField(_("merchant code"), max_length=12, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="voucher_merchants"
    )
    name = models.CharField(_("shop name"), max_length=120)
    name_ko = models.CharField(_("Korean name"), max_length=120, blank=True)
    business_number = models.CharField(_("business registration number"), max_length=12)
    category = models.CharField(pgettext_lazy("merchant", "category"), max_length=40)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    tier = models.CharField(_("revenue tier"), max_length=8, choices=Tier.choices)
    bank_account_ref = models.CharField(_("settlement bank account"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    is_frozen = models.BooleanField(_("frozen"), default=False)
    decision_reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        constraints = [
            models.UniqueConstraint(
                fields=["business_number"],
                condition=~Q(status="rejected"),
                name="vouchers_merchant_one_live_business_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.localized_name} ({self.code})"


class Wallet(models.Model):
    """A citizen's voucher wallet: cash and cashback accounts (grants have their own)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="voucher_wallet"
    )
    is_frozen = models.BooleanField(_("frozen"), default=False)
    frozen_reason = models.CharField(_("reason for freezing"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")

    def __str__(self) -> str:
        return f"wallet of {self.user}"


class GrantProgramme(LocalizedName, models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    name_ko = models.CharField(_("Korean name"), max_length=120, blank=True)
    amount = models.PositiveBigIntegerField(_("amount per recipient (KRW)"))
    eligible_categories = models.JSONField(_("eligible merchant categories"), default=list)
    valid_until = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reclaimed_at = models.DateTimeField(_("reclaimed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grant programme")
        verbose_name_plural = _("grant programmes")

    def __str__(self) -> str:
        return self.localized_name


class Account(models.Model):
    class Kind(models.TextChoices):
        CASH = "cash", _("Wallet cash")
        CASHBACK = "cashback", _("Wallet cashback")
        GRANT = "grant", _("Wallet grant")
        MERCHANT = "merchant", _("Merchant")
        TREASURY = "treasury", _("City treasury")
        INCENTIVE = "incentive", _("Incentive (cashback) pool")
        PROGRAMME = "programme", _("Grant programme")
        CLEARING = "clearing", _("Settlement clearing")
        BANK = "bank", _("Bank (money held at the bank)")
        GIFT_HOLD = "gift_hold", _("Gifts held for their recipients")

    # The only accounts allowed below zero: the far side of money entering the ledger.
    SOURCE_KINDS = (Kind.TREASURY, Kind.BANK)
    # Balance = the sum of the postings, never materialised in `balance` (which stays 0), so
    # that crediting them takes no row lock. A negative one is a receivable.
    DERIVED_KINDS = (Kind.MERCHANT,)
    # Accounts of these kinds exist once (shard 0) except the incentive pool (POOL_SHARDS).
    SYSTEM_KINDS = (Kind.TREASURY, Kind.INCENTIVE, Kind.CLEARING, Kind.BANK, Kind.GIFT_HOLD)
    POOL_SHARDS = 16

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    wallet = models.ForeignKey(
        Wallet, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    merchant = models.OneToOneField(
        Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    programme = models.ForeignKey(
        GrantProgramme, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    balance = models.BigIntegerField(_("balance (KRW)"), default=0)
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    # On a wallet's cashback account: the net cashback (earned less reversed) of payments made
    # in `cashback_month`, kept under the same row lock as the balance, so that the monthly cap
    # is checked without adding up the month's payments.
    cashback_month = models.DateField(_("cashback month"), null=True, blank=True)
    cashback_month_earned = models.BigIntegerField(_("cashback earned that month"), default=0)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind__in=["treasury", "bank"]),
                name="vouchers_account_balance_not_negative",
            ),
            models.UniqueConstraint(
                fields=["wallet", "kind"],
                condition=Q(kind__in=["cash", "cashback"]),
                name="vouchers_account_one_cash_and_cashback_per_wallet",
            ),
            models.UniqueConstraint(
                fields=["wallet", "programme"],
                condition=Q(kind="grant"),
                name="vouchers_account_one_grant_per_wallet_and_programme",
            ),
            models.UniqueConstraint(
                fields=["programme"],
                condition=Q(kind="programme"),
                name="vouchers_account_one_per_programme",
            ),
            models.UniqueConstraint(
                fields=["kind", "shard"],
                condition=Q(kind__in=["treasury", "incentive", "clearing", "bank", "gift_hold"]),
                name="vouchers_account_one_system_account_per_kind_and_shard",
            ),
            models.CheckConstraint(
                condition=Q(shard=0) | Q(kind="incentive"),
                name="vouchers_account_only_the_pool_is_sharded",
            ),
            models.CheckConstraint(
                condition=~Q(kind="merchant") | Q(balance=0),
                name="vouchers_account_merchant_balance_derived",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {str(self.public_id)[:8]}"


class JournalTransaction(models.Model):
    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")
        GIFT = "gift", _("Gift")
        GRANT = "grant", _("Grant")
        RECLAIM = "reclaim", _("Grant reclaim")
        FUNDING = "funding", _("Funding")
        SETTLEMENT = "settlement", _("Settlement")
        PAYOUT = "payout", _("Payout")
        REWARD = "reward", _("Reward")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    business_date = models.DateField(_("business date"), db_index=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    digest = models.CharField(_("anchor digest"), max_length=66, blank=True)

    class Meta:
        verbose_name = _("journal transaction")
        verbose_name_plural = _("journal transactions")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {str(self.public_id)[:8]}"


class Posting(models.Model):
    transaction = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(_("amount (KRW)"))

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="vouchers_posting_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.account}"


class TopUp(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the bank")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined by the bank")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="topups")
    bank_link = models.ForeignKey("bank.BankLink", on_delete=models.PROTECT, related_name="topups")
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    transfer_id = models.CharField(max_length=64, blank=True)
    journal = models.OneToOneField(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="topup"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")

    def __str__(self) -> str:
        return f"top-up {self.amount} KRW"

    @property
    def bank_idempotency_key(self) -> str:
        return f"vouchers-topup-{self.public_id}"


class PaymentRequest(models.Model):
    """A dynamic QR: an amount a merchant asks for, payable once, for five minutes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="requests")
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    expires_at = models.DateTimeField(pgettext_lazy("request", "expires at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")

    def __str__(self) -> str:
        return f"{self.merchant.code} {self.amount} KRW"


class Payment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="payments")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payments")
    request = models.OneToOneField(
        PaymentRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    from_grants = models.PositiveBigIntegerField(_("paid from grants"), default=0)
    from_cashback = models.PositiveBigIntegerField(_("paid from cashback"), default=0)
    from_cash = models.PositiveBigIntegerField(_("paid from cash"), default=0)
    cashback = models.PositiveBigIntegerField(_("cashback earned"), default=0)
    refunded = models.PositiveBigIntegerField(_("refunded"), default=0)
    cashback_reversed = models.PositiveBigIntegerField(_("cashback reversed"), default=0)
    # What refunds gave back so far to each source (refunds return to cash first).
    returned_cash = models.PositiveBigIntegerField(default=0)
    returned_cashback = models.PositiveBigIntegerField(default=0)
    journal = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, related_name="payment"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded__lte=models.F("amount")),
                name="vouchers_payment_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(
                    amount=models.F("from_grants")
                    + models.F("from_cashback")
                    + models.F("from_cash")
                ),
                name="vouchers_payment_sources_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.amount} KRW to {self.merchant.code}"


class PaymentGrantShare(models.Model):
    """How much of a payment each grant account paid (refunds give it back there)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="grant_shares")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField()
    returned = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.amount} KRW from a grant"


class Refund(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    cashback_reversed = models.PositiveBigIntegerField(_("cashback reversed"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    journal = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, related_name="refund"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"refund {self.amount} KRW"


class Gift(models.Model):
    """Cash from one wallet to another. A gift the address's owner cannot receive at once (no
    account with that verified email, a frozen wallet, the holding cap) is held (`pending`,
    the money in the gift-hold account), delivered once they can, returned to the sender
    when it expires (services.gifts_deliver_pending)."""

    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        PENDING = "pending", _("Held for the recipient")
        RETURNED = "returned", _("Returned to the sender")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="gifts_sent")
    recipient = models.ForeignKey(
        Wallet, null=True, blank=True, on_delete=models.PROTECT, related_name="gifts_received"
    )
    recipient_email = models.EmailField(_("recipient's email"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DELIVERED
    )
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    message = models.CharField(_("message"), max_length=140, blank=True)
    journal = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, related_name="gift"
    )
    # A held gift's second entry: gift hold → the recipient, or back to the sender.
    release_journal = models.OneToOneField(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(_("held until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(recipient__isnull=False),
                name="vouchers_gift_delivered_has_a_recipient",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="pending"),
                name="vouchers_gift_pending",
            )
        ]

    def __str__(self) -> str:
        return f"gift {self.amount} KRW"


class GrantAward(models.Model):
    programme = models.ForeignKey(GrantProgramme, on_delete=models.PROTECT, related_name="awards")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="grant_awards")
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    journal = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, related_name="grant_award"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("grant award")
        verbose_name_plural = _("grant awards")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "wallet"], name="vouchers_grantaward_once_per_wallet"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} → {self.wallet.user}"


class Reward(models.Model):
    """Points a city service gave a citizen (e.g. for a valid safety report), once per key.

    `requested` is what the caller asked for, `amount` what was credited after the monthly and
    holding caps (0 when a cap left no room: the key is still spent, so a re-run pays nothing).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="rewards")
    source = models.CharField(_("source"), max_length=40)
    reference = models.CharField(_("reference"), max_length=100)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    requested = models.PositiveBigIntegerField(_("requested (KRW)"))
    amount = models.PositiveBigIntegerField(_("credited (KRW)"))
    journal = models.OneToOneField(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="reward"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__lte=models.F("requested")),
                name="vouchers_reward_within_requested",
            )
        ]

    def __str__(self) -> str:
        return f"reward {self.amount} KRW ({self.source})"


class Settlement(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Paying")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Declined by the bank")
        EMPTY = "empty", _("Nothing to pay")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="settlements")
    business_date = models.DateField(_("business date"))
    gross = models.BigIntegerField(_("payments (KRW)"), default=0)
    refunds = models.BigIntegerField(_("refunds (KRW)"), default=0)
    amount = models.BigIntegerField(_("amount paid (KRW)"), default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    transfer_id = models.CharField(max_length=64, blank=True)
    journal = models.OneToOneField(
        JournalTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlement",
    )
    payout_journal = models.OneToOneField(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by each staff retry after a decline: the bank idempotency key of the new transfer.
    attempt = models.PositiveIntegerField(_("payment attempt"), default=0)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-business_date", "merchant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "business_date"], name="vouchers_settlement_once_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"settlement {self.merchant.code} {self.business_date}"

    @property
    def bank_idempotency_key(self) -> str:
        return f"vouchers-settlement-{self.public_id}"


class DailyClose(models.Model):
    """The digest of one business day's journal, anchored once the day is over."""

    business_date = models.DateField(_("business date"), unique=True)
    entries = models.PositiveIntegerField(_("journal transactions"))
    journal_digest = models.CharField(_("journal digest"), max_length=66)
    digest = models.CharField(_("anchor digest"), max_length=66)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("daily close")
        verbose_name_plural = _("daily closes")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return str(self.business_date)


class SettlementAttempt(models.Model):
    """The audit trail of staff retries of a settlement's payment: who, why, what happened."""

    class Outcome(models.TextChoices):
        PAID = "paid", _("Paid")
        ALREADY_PAID = "already_paid", _("Already paid (found at the bank)")
        FAILED = "failed", _("Declined by the bank")
        PENDING = "pending", _("The bank did not answer")
        UNCHANGED = "unchanged", _("Nothing to do")

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="attempts")
    attempt = models.PositiveIntegerField(_("payment attempt"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    transfer_id = models.CharField(_("bank transfer"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement retry")
        verbose_name_plural = _("settlement retries")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.settlement} retry {self.attempt}: {self.outcome}"
