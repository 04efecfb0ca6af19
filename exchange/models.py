"""Assets, markets, accounts on a double-entry ledger, orders, trades, chain transfers.

Money and quantities are integers in the asset's minor units. Database constraints hold the
invariants: customer balances never below zero, one account per (owner, asset).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Asset(models.Model):
    class Kind(models.TextChoices):
        FIAT = "fiat", _("Bank money (KRW)")
        NATIVE = "native", _("Native coin of the chain")
        ERC20 = "erc20", _("ERC-20 token")

    symbol = models.CharField(_("symbol"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The ledger counts in 10**-decimals; the chain in 10**-chain_decimals (ETH: gwei on the
    # ledger so that balances fit 64-bit integers, wei on chain). Dust below the ledger's unit
    # is not credited.
    decimals = models.PositiveSmallIntegerField(_("decimals"))
    chain_decimals = models.PositiveSmallIntegerField(_("decimals on chain"), default=0)
    contract_address = models.CharField(_("contract address"), max_length=42, blank=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(
                condition=Q(chain_decimals__gte=F("decimals")) | Q(kind="fiat"),
                name="exchange_asset_ledger_not_finer_than_chain",
            ),
            models.CheckConstraint(
                condition=Q(kind="erc20", contract_address__regex=r"^0x[0-9a-fA-F]{40}$")
                | (~Q(kind="erc20") & Q(contract_address="")),
                name="exchange_asset_contract_iff_erc20",
            ),
        ]

    def __str__(self) -> str:
        return self.symbol

    @property
    def chain_factor(self) -> int:
        return 10 ** (self.chain_decimals - self.decimals)


class Market(models.Model):
    class Status(models.TextChoices):
        PRE_OPEN = "pre_open", _("Pre-open")
        OPEN = "open", pgettext_lazy("market status", "Open")
        HALTED = "halted", _("Halted")
        CLOSED = "closed", pgettext_lazy("market status", "Closed")

    symbol = models.CharField(_("symbol"), max_length=32, unique=True)  # e.g. ETH-KRW
    base = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    # Price: quote minor units per one whole base unit (10**base.decimals minor units).
    tick_size = models.BigIntegerField(_("tick size"))
    lot_size = models.BigIntegerField(_("lot size"))
    min_notional = models.BigIntegerField(_("minimum notional"), default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PRE_OPEN
    )
    # Changes at every committed write to the book; the in-process book cache compares it.
    book_version = models.UUIDField(default=uuid.uuid4)
    trade_anchor_version = models.PositiveIntegerField(default=0)
    # The last sequence number the market's matcher gave an order request.
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tick_size__gt=0) & Q(lot_size__gt=0) & Q(min_notional__gte=0),
                name="exchange_market_positive_steps",
            ),
            models.CheckConstraint(
                condition=~Q(base=F("quote")), name="exchange_market_two_assets"
            ),
        ]

    def __str__(self) -> str:
        return self.symbol

    @property
    def scale(self) -> int:
        return 10**self.base.decimals

    def clean(self) -> None:
        if (
            self.base_id
            and self.tick_size
            and self.lot_size
            and ((self.tick_size * self.lot_size) % self.scale)
        ):
            raise ValidationError(
                {"lot_size": _("tick size × lot size must be a whole number of quote units.")}
            )


class FeeTier(models.Model):
    """Maker/taker fees in basis points; a user's tier is the highest whose 30-day volume
    (in quote units of any market) they reach."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    min_volume_30d = models.BigIntegerField(_("30-day volume from"), default=0, unique=True)
    maker_bps = models.PositiveIntegerField(_("maker fee (bp)"))
    taker_bps = models.PositiveIntegerField(_("taker fee (bp)"))

    class Meta:
        ordering = ["min_volume_30d"]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """One owner's balance of one asset: available and held (reserved for open orders and
    pending withdrawals). System accounts (no owner) are the fee income and the custody
    counterpart of deposits, which is negative: it mirrors what customers brought in."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        FEES = "fees", _("Fee income")
        CUSTODY = "custody", _("Custody (outside world)")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CUSTOMER)
    available = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    # A customer's quote-asset account: what her active orders in markets quoted in this asset
    # may still trade (their notional not yet filled), kept by placement and the matcher. The
    # trading caps read it instead of summing her open orders.
    open_notional = models.BigIntegerField(default=0)
    is_frozen = models.BooleanField(_("frozen"), default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="customer") | (Q(available__gte=0) & Q(held__gte=0)),
                name="exchange_account_balances_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(open_notional__gte=0),
                name="exchange_account_open_notional_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(kind="customer") & Q(owner__isnull=False))
                | (~Q(kind="customer") & Q(owner__isnull=True)),
                name="exchange_account_owner_iff_customer",
            ),
            models.UniqueConstraint(
                fields=["owner", "asset"],
                condition=Q(kind="customer"),
                name="exchange_account_one_per_owner_asset",
            ),
            models.UniqueConstraint(
                fields=["kind", "asset"],
                condition=~Q(kind="customer"),
                name="exchange_account_one_system_per_kind_asset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id or self.kind}:{self.asset_id}"


class JournalEntry(models.Model):
    """One balanced movement: its postings sum to zero per asset (checked by the ledger
    service before anything is written, and by a test over every entry)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24)  # hold, release, trade, deposit, withdrawal, ...
    reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class Posting(models.Model):
    class Bucket(models.TextChoices):
        AVAILABLE = "available", _("Available")
        HELD = "held", _("Held")

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    # The account's asset, kept beside it for per-asset sums; never looked up on its own.
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+", db_index=False)
    bucket = models.CharField(max_length=9, choices=Bucket.choices)
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="exchange_posting_nonzero")
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.amount}"


class Order(models.Model):
    class Side(models.TextChoices):
        BUY = "buy", _("Buy")
        SELL = "sell", _("Sell")

    class Kind(models.TextChoices):
        LIMIT = "limit", _("Limit")
        MARKET = "market", pgettext_lazy("order type", "Market")

    class TimeInForce(models.TextChoices):
        GTC = "GTC", _("Good till cancelled")
        IOC = "IOC", _("Immediate or cancel")
        FOK = "FOK", _("Fill or kill")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        OPEN = "open", pgettext_lazy("order status", "Open")
        PARTIALLY_FILLED = "partial", _("Partially filled")
        FILLED = "filled", _("Filled")
        CANCELLED = "cancelled", _("Cancelled")
        REJECTED = "rejected", pgettext_lazy("order status", "Rejected")

    class SelfTrade(models.TextChoices):
        CANCEL_RESTING = "cancel_resting", _("Cancel the resting order")
        CANCEL_TAKER = "cancel_taker", _("Cancel the incoming order")

    # On the book (the matcher has taken them).
    OPEN_STATUSES = (Status.OPEN, Status.PARTIALLY_FILLED)
    # Still live for their owner: accepted and waiting for the matcher, or on the book.
    ACTIVE_STATUSES = (Status.PENDING, Status.OPEN, Status.PARTIALLY_FILLED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No single-column indexes: the owner's are exchange_order_owner_recent and _active, the
    # market's the open book (an order row is written on every placement and match, and each
    # index costs every write).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False)
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    client_order_id = models.CharField(max_length=64, blank=True)
    side = models.CharField(max_length=4, choices=Side.choices)
    kind = models.CharField(max_length=6, choices=Kind.choices)
    time_in_force = models.CharField(max_length=3, choices=TimeInForce.choices, default="GTC")
    post_only = models.BooleanField(default=False)
    price = models.BigIntegerField(default=0)
    quantity = models.BigIntegerField(default=0)
    quote_amount = models.BigIntegerField(default=0)
    filled_quantity = models.BigIntegerField(default=0)
    filled_quote = models.BigIntegerField(default=0)
    held_remaining = models.BigIntegerField(default=0)
    # The quote value the order may trade, counted against the KYC trading caps while it is
    # active (limit: price x quantity; market: its budget or an estimate at placement).
    notional = models.BigIntegerField(default=0)
    stp = models.CharField(
        max_length=14, choices=SelfTrade.choices, default=SelfTrade.CANCEL_RESTING
    )
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    cancel_reason = models.CharField(max_length=24, blank=True)
    # The market sequence number at which the matcher took the order (time priority).
    seq = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "client_order_id"],
                condition=~Q(client_order_id=""),
                name="exchange_order_client_id_unique_per_user",
            ),
            models.CheckConstraint(
                condition=Q(filled_quantity__gte=0) & Q(held_remaining__gte=0),
                name="exchange_order_amounts_not_negative",
            ),
        ]
        indexes = [
            # The resting book by side and price: the best bid or ask, a market order's cost
            # and the depth read a few entries, not every resting order.
            models.Index(
                fields=["market", "side", "price", "seq"],
                condition=Q(status__in=["open", "partial"]),
                name="exchange_order_book_price",
            ),
            models.Index(fields=["owner", "-created_at"], name="exchange_order_owner_recent"),
            models.Index(
                fields=["owner"],
                condition=Q(status__in=["pending", "open", "partial"]),
                name="exchange_order_owner_active",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled_quantity


class OrderRequest(models.Model):
    """The market's input log: every placement and cancel request, in the order the market's
    single matcher took them (`seq`, unique per market; empty while waiting). Replaying the
    log through the pure engine gives the same trades."""

    class Action(models.TextChoices):
        PLACE = "place", _("Place")
        CANCEL = "cancel", _("Cancel")

    # Looked up by market through exchange_request_seq_once and exchange_request_waiting.
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="+", db_index=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="requests")
    action = models.CharField(max_length=6, choices=Action.choices)
    seq = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Partial: a waiting request (no seq yet) adds nothing to it.
            models.UniqueConstraint(
                fields=["market", "seq"],
                condition=Q(seq__isnull=False),
                name="exchange_request_seq_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["market", "id"],
                condition=Q(seq__isnull=True),
                name="exchange_request_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.order_id}"


class TradedVolume(models.Model):
    """Running totals of what each user traded: the quote value of their fills per quote
    asset, per UTC hour and per UTC day, kept by the matcher in the transaction that writes
    the fills. The KYC trading caps (hours for 24 h, days for 30 d) and the fee tiers (days)
    read these few rows instead of summing a user's orders."""

    class Span(models.TextChoices):
        HOUR = "hour", pgettext_lazy("traded volume span", "Hour")
        DAY = "day", pgettext_lazy("traded volume span", "Day")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+", db_index=False)
    span = models.CharField(max_length=4, choices=Span.choices)
    start = models.DateTimeField()
    volume = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "span", "start", "asset"], name="exchange_volume_once"
            ),
            models.CheckConstraint(condition=Q(volume__gte=0), name="exchange_volume_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.span} {self.start:%Y-%m-%d %H:00}: {self.volume}"


class Trade(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # exchange_trade_recent serves the market's lookups (no index of its own)
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="trades", db_index=False
    )
    maker_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    taker_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    taker_side = models.CharField(max_length=4, choices=Order.Side.choices)
    price = models.BigIntegerField()
    quantity = models.BigIntegerField()
    notional = models.BigIntegerField()
    maker_fee = models.BigIntegerField(default=0)
    taker_fee = models.BigIntegerField(default=0)
    is_anchored = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        # A market's trades newest first (the last price, the recent trades) and by time (the
        # ticker's and the candles' windows): one index where three were written per trade.
        # The matcher is the market's single writer and stamps each batch later than the last,
        # so (created_at, id) is the trades' order.
        indexes = [
            models.Index(fields=["market", "-created_at", "-id"], name="exchange_trade_recent")
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class SurveillanceEvent(models.Model):
    class Kind(models.TextChoices):
        SELF_TRADE = "self_trade", _("Self-trade attempt")
        CANCEL_ALL = "cancel_all", _("Mass cancel")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    market = models.ForeignKey(Market, on_delete=models.PROTECT)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id}"


class BankAccount(models.Model):
    """Retired: an `account_ref` string the customer typed, never proven to be theirs. Kept only
    for the history of the transfers made before proven links (busanhub.bank.BankLink); no
    service creates one any more, and no new transfer may use one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    account_ref = models.CharField(_("bank account"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "account_ref"], name="exchange_bank_unique")
        ]

    def __str__(self) -> str:
        return self.account_ref


class BankTransfer(models.Model):
    """KRW in (deposit) or out (withdrawal) through the bank, to or from one of the owner's
    proven bank links. A withdrawal at or above the approval threshold waits for staff."""

    class Direction(models.TextChoices):
        IN = "in", _("Deposit")
        OUT = "out", _("Withdrawal")

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "approval", _("Awaiting staff approval")
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        REJECTED = "rejected", _("Rejected and refunded")

    # What no longer counts towards the withdrawal limits.
    NOT_LIVE = (Status.FAILED, Status.REJECTED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    bank_link = models.ForeignKey(
        "bank.BankLink", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Only the transfers made before proven links (see BankAccount).
    bank_account = models.ForeignKey(BankAccount, null=True, blank=True, on_delete=models.PROTECT)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    amount = models.BigIntegerField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    bank_transfer_id = models.CharField(max_length=64, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="exchange_bank_amount_positive"),
            models.CheckConstraint(
                condition=Q(bank_link__isnull=False) | Q(bank_account__isnull=False),
                name="exchange_bank_transfer_has_account",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="exchange_bank_owner_recent"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def account_ref(self) -> str:
        return (self.bank_link or self.bank_account).account_ref


class DepositAddress(models.Model):
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    index = models.PositiveIntegerField(unique=True)
    address = models.CharField(max_length=42, unique=True)
    # Transfers in earlier blocks are not this customer's (the HD index may be reused on a
    # dev chain that was reset).
    created_block = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.address


class ChainDeposit(models.Model):
    class Status(models.TextChoices):
        SEEN = "seen", _("Waiting for confirmations")
        CREDITED = "credited", _("Credited")
        ORPHANED = "orphaned", _("Dropped by a reorganisation")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    address = models.ForeignKey(DepositAddress, on_delete=models.PROTECT)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT)
    tx_hash = models.CharField(max_length=66)
    log_index = models.IntegerField()  # -1 for a native transfer
    block_number = models.BigIntegerField()
    block_hash = models.CharField(max_length=66)
    amount = models.DecimalField(max_digits=78, decimal_places=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SEEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tx_hash", "log_index"], name="exchange_deposit_once_per_transfer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tx_hash}:{self.log_index}"


class ScanCursor(models.Model):
    name = models.CharField(max_length=64, unique=True)
    block_number = models.BigIntegerField(default=-1)

    def __str__(self) -> str:
        return self.name


class WithdrawalAddress(models.Model):
    """The allow-list: an address can be withdrawn to once `usable_from` has passed."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    address = models.CharField(max_length=42)
    label = models.CharField(max_length=64, blank=True)
    usable_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "address"], name="exchange_allowlist_unique")
        ]

    def __str__(self) -> str:
        return self.address


class ChainWithdrawal(models.Model):
    class Status(models.TextChoices):
        AWAITING_APPROVAL = "approval", _("Awaiting staff approval")
        APPROVED = "approved", _("Approved, waiting to be sent")
        SENT = "sent", _("Sent")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed and refunded")
        REJECTED = "rejected", _("Rejected and refunded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT)
    address = models.CharField(max_length=42)
    amount = models.BigIntegerField()
    status = models.CharField(max_length=9, choices=Status.choices)
    nonce = models.BigIntegerField(null=True, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True)
    raw_tx = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    anchor_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Fee bumping: every transaction ever signed for this nonce (any one of them may be the one
    # mined), the fees of the latest, and when it was (re)sent.
    tx_hashes = models.JSONField(default=list, blank=True)
    max_fee_per_gas = models.BigIntegerField(null=True, blank=True)
    max_priority_fee_per_gas = models.BigIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chain withdrawal")
        verbose_name_plural = _("chain withdrawals")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="exchange_withdrawal_positive"),
            models.UniqueConstraint(
                fields=["nonce"], condition=Q(nonce__isnull=False), name="exchange_nonce_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class LiabilitySnapshot(models.Model):
    """A proof of liabilities: the Merkle sum tree of every customer balance at one moment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    root = models.CharField(max_length=66)
    totals = models.JSONField()  # {symbol: total}
    reserves = models.JSONField(default=dict, blank=True)  # {symbol: on-chain holdings}
    tree = models.JSONField()  # the leaves, to serve proofs
    anchor_digest = models.CharField(max_length=66, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return str(self.public_id)


class LiabilityLeaf(models.Model):
    snapshot = models.ForeignKey(LiabilitySnapshot, on_delete=models.CASCADE, related_name="leaves")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    position = models.PositiveIntegerField()
    salt = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "owner"], name="exchange_leaf_unique")
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.position}"


class ChainSweep(models.Model):
    """A movement of exchange custody between the exchange's own addresses: deposit address →
    hot wallet (an ERC-20 sweep first tops the deposit address up with gas from the hot wallet),
    or hot wallet → cold wallet above the hot wallet's limit. Never touches a customer's ledger
    balance. At most one sweep per source address is in flight, which keeps its nonces in order.
    """

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit address to hot wallet")
        COLD = "cold", _("Hot wallet to cold wallet")

    class Status(models.TextChoices):
        GAS_SENT = "gas_sent", _("Gas top-up sent")
        SENT = "sent", _("Sent")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Nothing worth sweeping")

    ACTIVE_STATUSES = (Status.GAS_SENT, Status.SENT)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DEPOSIT)
    deposit_address = models.ForeignKey(
        DepositAddress, null=True, blank=True, on_delete=models.PROTECT, related_name="sweeps"
    )
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=42)
    destination = models.CharField(max_length=42)
    amount = models.DecimalField(max_digits=78, decimal_places=0)  # chain units
    status = models.CharField(max_length=9, choices=Status.choices)
    gas_limit = models.BigIntegerField(default=0)
    max_fee_per_gas = models.BigIntegerField(default=0)
    max_priority_fee_per_gas = models.BigIntegerField(default=0)
    gas_nonce = models.BigIntegerField(null=True, blank=True)  # hot wallet nonce of the top-up
    gas_tx_hash = models.CharField(max_length=66, blank=True)
    gas_raw_tx = models.TextField(blank=True)
    nonce = models.BigIntegerField(null=True, blank=True)  # source's nonce of the sweep
    tx_hash = models.CharField(max_length=66, blank=True)
    raw_tx = models.TextField(blank=True)
    block_number = models.BigIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["gas_sent", "sent"]),
                name="exchange_sweep_one_active_per_source",
            ),
            models.UniqueConstraint(
                fields=["source", "nonce"],
                condition=Q(nonce__isnull=False),
                name="exchange_sweep_nonce_once",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="exchange_sweep_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class DepositSweep(models.Model):
    """Which sweep took a credited deposit to the hot wallet (one per deposit)."""

    deposit = models.OneToOneField(ChainDeposit, on_delete=models.CASCADE, related_name="sweep")
    sweep = models.ForeignKey(ChainSweep, on_delete=models.CASCADE, related_name="deposits")

    def __str__(self) -> str:
        return f"{self.deposit_id}→{self.sweep_id}"
