from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = _("Citizen Safety Report")

    def ready(self) -> None:
        from busanhub import registry

        registry.register_service(
            registry.Service(
                slug="safety", name=_("Citizen Safety Report"), url_name="safety:home", order=40
            )
        )
