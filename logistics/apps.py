from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _panel_context(request) -> dict:
    from .selectors import recalls_in_force

    return {"recalls": list(recalls_in_force()[:3])}


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("B-Fresh seafood traceability")

    def ready(self) -> None:
        from busanhub import registry

        from . import demo

        registry.register_service(
            registry.Service(
                slug="logistics",
                name=_("B-Fresh seafood traceability"),
                url_name="logistics:home",
                order=50,
            )
        )
        registry.register_dashboard_panel(
            registry.DashboardPanel(
                slug="logistics",
                title=_("B-Fresh seafood"),
                template_name="logistics/_dashboard_panel.html",
                context=_panel_context,
                order=50,
            )
        )
        registry.register_demo_seeder("logistics", demo.seed)
