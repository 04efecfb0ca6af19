from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _panel_context(request) -> dict:
    from education import selectors

    return {"rows": selectors.my_learning(user=request.user)[:5]}


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = _("Blockchain education")

    def ready(self) -> None:
        from busanhub import registry
        from education.demo import seed

        registry.register_service(
            registry.Service(
                slug="education",
                name=_("Blockchain education"),
                url_name="education:home",
                order=60,
            )
        )
        registry.register_dashboard_panel(
            registry.DashboardPanel(
                slug="education",
                title=_("My learning"),
                template_name="education/_panel.html",
                context=_panel_context,
                order=60,
            )
        )
        registry.register_demo_seeder("education", seed, order=60)
