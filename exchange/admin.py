"""The exchange's back office: markets (halt/resume), withdrawals (approve/reject), accounts
(freeze), surveillance. Every action calls a service."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from busanhub.admin_big_lists import BigListAdmin
from busanhub.admin_choices import RememberedRelatedFilter, remember_choices_of
from busanhub.admin_tools import ReadOnlyAdmin
from exchange import services
from exchange.models import (
    Account,
    Asset,
    BankTransfer,
    ChainDeposit,
    ChainSweep,
    ChainWithdrawal,
    FeeTier,
    LiabilitySnapshot,
    Market,
    Order,
    SurveillanceEvent,
    Trade,
)


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "kind", "decimals", "chain_decimals", "contract_address"]


@admin.register(FeeTier)
class FeeTierAdmin(admin.ModelAdmin):
    list_display = ["name", "min_volume_30d", "maker_bps", "taker_bps"]


def _set_status(modeladmin, request, queryset, status):
    for market in queryset:
        services.market_set_status(market=market, status=status)
    modeladmin.message_user(request, _("%(n)d market(s) updated.") % {"n": queryset.count()})


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["symbol", "base", "quote", "tick_size", "lot_size", "min_notional", "status"]
    list_filter = ["status"]
    readonly_fields = ["book_version", "trade_anchor_version"]
    actions = ["halt", "resume"]

    @admin.action(description=_("Halt trading"), permissions=["change"])
    def halt(self, request, queryset):
        _set_status(self, request, queryset, Market.Status.HALTED)

    @admin.action(description=_("Resume trading"), permissions=["change"])
    def resume(self, request, queryset):
        _set_status(self, request, queryset, Market.Status.OPEN)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["owner", "asset", "kind", "available", "held", "is_frozen"]
    list_filter = ["kind", "asset", "is_frozen"]
    search_fields = ["owner__email"]
    readonly_fields = ["owner", "asset", "kind", "available", "held"]
    list_select_related = ["owner", "asset"]
    actions = ["freeze", "unfreeze"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Freeze accounts"), permissions=["change"])
    def freeze(self, request, queryset):
        for account in queryset:
            services.account_set_frozen(account=account, is_frozen=True)

    @admin.action(description=_("Unfreeze accounts"), permissions=["change"])
    def unfreeze(self, request, queryset):
        for account in queryset:
            services.account_set_frozen(account=account, is_frozen=False)


remember_choices_of(Market)  # the orders' market filter (busanhub.admin_choices)


@admin.register(Order)
class OrderAdmin(BigListAdmin):
    list_display = [
        "public_id",
        "owner",
        "market",
        "side",
        "kind",
        "price",
        "quantity",
        "filled_quantity",
        "status",
        "created_at",
    ]
    list_filter = [("market", RememberedRelatedFilter), "status", "side"]
    list_select_related = ["owner", "market"]
    search_fields = ["public_id", "owner__email", "client_order_id"]
    list_columns = [
        "public_id",
        "owner__email",
        "market__symbol",
        "side",
        "kind",
        "price",
        "quantity",
        "filled_quantity",
        "status",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ["public_id", "market", "price", "quantity", "taker_side", "created_at"]
    list_filter = ["market"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChainWithdrawal)
class ChainWithdrawalAdmin(admin.ModelAdmin):
    list_display = ["public_id", "owner", "asset", "amount", "address", "status", "created_at"]
    list_filter = ["status", "asset"]
    list_select_related = ["owner", "asset"]
    readonly_fields = [f.name for f in ChainWithdrawal._meta.fields]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Approve withdrawals"), permissions=["change"])
    def approve(self, request, queryset):
        from exchange.tasks import withdrawal_enqueue

        for withdrawal in queryset:
            try:
                withdrawal_enqueue(
                    services.withdrawal_approve(staff=request.user, withdrawal=withdrawal)
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    @admin.action(description=_("Reject withdrawals (refund)"), permissions=["change"])
    def reject(self, request, queryset):
        for withdrawal in queryset:
            try:
                services.withdrawal_reject(staff=request.user, withdrawal=withdrawal)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)


@admin.register(BankTransfer)
class BankTransferAdmin(admin.ModelAdmin):
    """KRW to and from customers' proven bank links; withdrawals at or above the threshold
    wait here for another person's approval, like those on chain."""

    list_display = [
        "public_id",
        "owner",
        "direction",
        "amount",
        "bank_link",
        "status",
        "created_at",
    ]
    list_filter = ["status", "direction"]
    list_select_related = ["owner", "bank_link"]
    search_fields = ["public_id", "owner__email"]
    readonly_fields = [f.name for f in BankTransfer._meta.fields]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Approve KRW withdrawals (pay them)"), permissions=["change"])
    def approve(self, request, queryset):
        for transfer in queryset:
            try:
                services.krw_withdrawal_approve(staff=request.user, transfer=transfer)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    @admin.action(description=_("Reject KRW withdrawals (refund)"), permissions=["change"])
    def reject(self, request, queryset):
        for transfer in queryset:
            try:
                services.krw_withdrawal_reject(staff=request.user, transfer=transfer)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)


@admin.register(ChainDeposit)
class ChainDepositAdmin(admin.ModelAdmin):
    list_display = ["public_id", "asset", "amount", "tx_hash", "block_number", "status"]
    list_filter = ["status", "asset"]
    readonly_fields = [f.name for f in ChainDeposit._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ChainSweep)
class ChainSweepAdmin(ReadOnlyAdmin):
    """Sweeps move the exchange's own custody; only the sweep task writes them."""

    list_display = ["public_id", "kind", "asset", "amount", "source", "status", "created_at"]
    list_filter = ["kind", "status", "asset"]
    list_select_related = ["asset"]
    search_fields = ["public_id", "source", "tx_hash", "gas_tx_hash"]
    exclude = ["raw_tx", "gas_raw_tx"]


@admin.register(SurveillanceEvent)
class SurveillanceEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "user", "market"]
    list_filter = ["kind", "market"]
    readonly_fields = ["kind", "user", "market", "detail", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(LiabilitySnapshot)
class LiabilitySnapshotAdmin(admin.ModelAdmin):
    list_display = ["public_id", "created_at", "root"]
    readonly_fields = ["public_id", "root", "totals", "reserves", "anchor_digest", "created_at"]
    exclude = ["tree"]

    def has_add_permission(self, request):
        return False
