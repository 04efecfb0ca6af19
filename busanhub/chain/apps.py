from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainConfig(AppConfig):
    name = "busanhub.chain"
    label = "chain"
    verbose_name = _("Anchoring")

    def ready(self) -> None:
        import busanhub.celery  # noqa: F401 - binds shared tasks to the project's Celery app
        from busanhub import registry
        from busanhub.chain import demo

        registry.register_demo_seeder("chain", demo.seed, order=1000)
