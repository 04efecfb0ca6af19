from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _panel_context(request) -> dict:
    from exchange import selectors

    if not request.user.is_authenticated:
        return {}
    return {"balance_rows": selectors.balance_rows(user=request.user)}


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Busan Digital Asset Exchange")

    def ready(self) -> None:
        from busanhub import registry

        from .demo import seed

        registry.register_service(
            registry.Service(
                slug="exchange",
                name=_("Busan Digital Asset Exchange"),
                url_name="exchange:home",
                order=30,
            )
        )
        registry.register_dashboard_panel(
            registry.DashboardPanel(
                slug="exchange",
                title=_("Exchange balances"),
                template_name="exchange/_panel.html",
                context=_panel_context,
                order=30,
            )
        )
        registry.register_demo_seeder("exchange", seed, order=30)
