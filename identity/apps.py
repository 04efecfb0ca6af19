from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("B Pass")

    def ready(self) -> None:
        from busanhub import registry

        registry.register_service(
            registry.Service(
                slug="identity", name=_("B Pass"), url_name="identity:wallet", order=10
            )
        )
