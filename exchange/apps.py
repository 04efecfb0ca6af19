from django.utils.translation import gettext_lazy as _

from busanhub import registry


def _panel_context(request) -> dict:
    from exchange import selectors

    if not request.user.is_authenticated:
        return {}
    return {"balance_rows": selectors.balance_rows(user=request.user)}


def _every(seconds: int, name: str, task: str) -> registry.PeriodicTask:
    return registry.PeriodicTask(
        name=f"Exchange: {name}", task=f"exchange.tasks.{task}", every_s=seconds
    )


class ExchangeConfig(registry.ServiceConfig):
    name = "exchange"
    verbose_name = _("Busan Digital Asset Exchange")
    service = registry.Service(
        slug="exchange",
        name=_("Busan Digital Asset Exchange"),
        description=_(
            "Trade digital assets against won on a regulated exchange whose reserves you can "
            "check yourself."
        ),
        url_name="exchange:home",
        order=30,
    )
    dashboard_panel = registry.DashboardPanel(
        slug="exchange",
        title=_("Exchange balances"),
        template_name="exchange/_panel.html",
        context=_panel_context,
        order=30,
    )
    demo_seeder = "exchange.demo.seed"
    demo_seeder_order = 30
    periodic_tasks = (
        _every(10, "match markets with waiting orders", "match_waiting_markets"),
        _every(15, "scan deposits", "scan_deposits"),
        _every(30, "send and settle withdrawals", "send_approved_withdrawals"),
        _every(60, "settle pending bank transfers", "settle_bank_transfers"),
        _every(300, "sweep deposits to the hot wallet", "sweep_deposits"),
        _every(86_400, "proof of liabilities snapshot", "snapshot_liabilities"),
        _every(86_400, "prune traded volume", "prune_traded_volume"),
    )
