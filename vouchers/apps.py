from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _panel_context(request) -> dict:
    from . import selectors

    wallet = selectors.wallet_for(user=request.user)
    return {"balances": selectors.wallet_balances(wallet=wallet)}


class VouchersConfig(AppConfig):
    name = "vouchers"
    verbose_name = _("Busan Digital Voucher")

    def ready(self) -> None:
        from busanhub import registry

        from .demo import seed

        registry.register_service(
            registry.Service(
                slug="vouchers",
                name=_("Busan Digital Voucher"),
                url_name="vouchers:home",
                order=20,
            )
        )
        registry.register_dashboard_panel(
            registry.DashboardPanel(
                slug="vouchers",
                title=_("Busan Digital Voucher"),
                template_name="vouchers/_panel.html",
                context=_panel_context,
                order=20,
            )
        )
        registry.register_demo_seeder("vouchers", seed, order=30)
