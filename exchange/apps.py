from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Busan Digital Asset Exchange")

    def ready(self) -> None:
        from busanhub import registry

        registry.register_service(
            registry.Service(slug="exchange", name=_("Busan Digital Asset Exchange"), url_name="exchange:home", order=30)
        )
