from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = _("Blockchain education")

    def ready(self) -> None:
        from busanhub import registry

        registry.register_service(
            registry.Service(slug="education", name=_("Blockchain education"), url_name="education:home", order=60)
        )
