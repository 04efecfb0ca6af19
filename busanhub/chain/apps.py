from django.conf import settings
from django.utils.translation import gettext_lazy as _

from busanhub import registry


def _anchor_interval_s() -> int:
    return settings.CHAIN_ANCHOR_INTERVAL_S


def _anchoring(name: str, task: str) -> registry.PeriodicTask:
    return registry.PeriodicTask(
        name=f"Anchoring: {name}",
        task=f"busanhub.chain.tasks.{task}",
        every_s=_anchor_interval_s,
        queue="anchoring",
    )


class ChainConfig(registry.ServiceConfig):
    """The platform's anchoring: no portal entry of its own, a demo seeder and a schedule."""

    name = "busanhub.chain"
    label = "chain"
    verbose_name = _("Anchoring")
    demo_seeder = "busanhub.chain.demo.seed"
    demo_seeder_order = 1000
    periodic_tasks = (
        _anchoring("seal pending leaves", "seal_pending"),
        _anchoring("submit sealed batches", "submit_sealed"),
        _anchoring("confirm submitted batches", "confirm_submitted"),
    )

    def ready(self) -> None:
        import busanhub.celery  # noqa: F401 - binds shared tasks to the project's Celery app

        super().ready()
