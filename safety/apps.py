from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def dashboard_context(request) -> dict:
    from . import selectors

    if not request.user.is_authenticated:
        return {"reports": []}
    return {"reports": list(selectors.reports_of_user(user=request.user)[:5])}


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = _("Citizen Safety Report")

    def ready(self) -> None:
        from busanhub import registry

        from .seed import seed_demo

        registry.register_service(
            registry.Service(
                slug="safety", name=_("Citizen Safety Report"), url_name="safety:home", order=40
            )
        )
        registry.register_dashboard_panel(
            registry.DashboardPanel(
                slug="safety",
                title=_("My safety reports"),
                template_name="safety/_dashboard_panel.html",
                context=dashboard_context,
                order=40,
            )
        )
        registry.register_demo_seeder("safety", seed_demo, order=40)
