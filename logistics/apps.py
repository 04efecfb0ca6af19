from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("B-Fresh seafood traceability")

    def ready(self) -> None:
        from busanhub import registry

        registry.register_service(
            registry.Service(
                slug="logistics",
                name=_("B-Fresh seafood traceability"),
                url_name="logistics:home",
                order=50,
            )
        )
