"""How service apps plug into the portal without the platform importing them.

A service app's AppConfig subclasses `ServiceConfig` and declares, as class attributes, its
navigation entry, its panel on the citizen dashboard (/me/), its profile lines, its demo
seeder and its periodic tasks; `ServiceConfig.ready()` registers them here. The platform only
reads this registry (`manage.py seed_demo`, `manage.py setup_periodic_tasks`, the templates).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.apps import AppConfig
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Service:
    slug: str
    name: Any  # a lazy translatable string
    url_name: str
    order: int = 100
    description: Any = ""  # one sentence on the home page's card: what the service does

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return "#"


@dataclass(frozen=True)
class DashboardPanel:
    slug: str
    title: Any
    template_name: str  # rendered inside the /me/ page's context, `context(request)` on top
    context: Callable[[HttpRequest], dict] = field(default=lambda request: {})
    order: int = 100


@dataclass(frozen=True)
class ProfileItem:
    """A line on the profile page that a service app contributes (e.g. the B Pass DID)."""

    slug: str
    label: Any
    value: Callable[[Any], str | None]  # user -> text, or None to show nothing
    order: int = 100


_services: dict[str, Service] = {}
_profile_items: dict[str, ProfileItem] = {}
_panels: dict[str, DashboardPanel] = {}


def register_service(service: Service) -> None:
    _services[service.slug] = service


def register_dashboard_panel(panel: DashboardPanel) -> None:
    _panels[panel.slug] = panel


def register_profile_item(item: ProfileItem) -> None:
    _profile_items[item.slug] = item


def profile_items(user) -> list[tuple[Any, str]]:
    """(label, value) of every registered item that has a value for this user."""
    items = sorted(_profile_items.values(), key=lambda i: (i.order, i.slug))
    return [(item.label, value) for item in items if (value := item.value(user))]


def services() -> list[Service]:
    return sorted(_services.values(), key=lambda s: (s.order, s.slug))


def dashboard_panels() -> list[DashboardPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.slug))


def portal_context(request: HttpRequest) -> dict:
    """Template context processor: the navigation of the installed services."""
    return {"portal_services": services()}


# Demo data: `manage.py seed_demo` runs the platform's seeding, then every registered seeder.
_seeders: dict[str, tuple[int, Callable[..., None]]] = {}


def register_demo_seeder(slug: str, seeder: Callable[..., None], order: int = 100) -> None:
    """`seeder(stdout=..., users={role: User})` creates the app's demo data, idempotently."""
    _seeders[slug] = (order, seeder)


def demo_seeders() -> list[Callable[..., None]]:
    return [seeder for _, seeder in sorted(_seeders.values(), key=lambda item: item[0])]


# Periodic tasks: `manage.py setup_periodic_tasks` makes django-celery-beat's rows match these.
@dataclass(frozen=True)
class Crontab:
    """A django-celery-beat crontab (fields as in its CrontabSchedule)."""

    minute: str = "*"
    hour: str = "*"
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    timezone: str = "Asia/Seoul"


@dataclass(frozen=True)
class PeriodicTask:
    """One scheduled task: `every_s` seconds (or a callable giving them, read when the schedule
    is set up, so settings are never read at import time) or a `crontab`, never both."""

    name: str  # unique; the row's name in the admin
    task: str  # the Celery task's registered name
    every_s: int | Callable[[], int] | None = None
    crontab: Crontab | None = None
    queue: str | None = None  # None: the task's route (CELERY_TASK_ROUTES) decides
    enabled: bool = True  # only when the row is created; staff's switch is kept afterwards

    def __post_init__(self) -> None:
        if (self.every_s is None) == (self.crontab is None):
            raise ValueError(f"{self.name}: give every_s or crontab, exactly one")

    @property
    def seconds(self) -> int | None:
        return self.every_s() if callable(self.every_s) else self.every_s


_periodic_tasks: dict[str, PeriodicTask] = {}


def register_periodic_task(task: PeriodicTask) -> None:
    _periodic_tasks[task.name] = task


def periodic_tasks() -> list[PeriodicTask]:
    return sorted(_periodic_tasks.values(), key=lambda t: t.name)


class ServiceConfig(AppConfig):
    """The AppConfig of a service app: declare, register nothing by hand.

    class ExchangeConfig(ServiceConfig):
        name = "exchange"
        service = Service(slug="exchange", name=_("…"), url_name="exchange:home", order=30)
        dashboard_panel = DashboardPanel(...)
        demo_seeder = "exchange.demo.seed"  # a dotted path: models load only in ready()
        periodic_tasks = (PeriodicTask(name="Exchange: …", task="exchange.tasks.…", ...),)
    """

    # Django picks an apps.py's only AppConfig subclass with `default` unset or true; this base
    # is imported into every apps.py, so it opts out and each subclass opts back in.
    default = False

    service: ClassVar[Service | None] = None
    dashboard_panel: ClassVar[DashboardPanel | None] = None
    profile_items: ClassVar[tuple[ProfileItem, ...]] = ()
    demo_seeder: ClassVar[str | None] = None
    demo_seeder_order: ClassVar[int] = 100
    periodic_tasks: ClassVar[tuple[PeriodicTask, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    def ready(self) -> None:
        if self.service is not None:
            register_service(self.service)
        if self.dashboard_panel is not None:
            register_dashboard_panel(self.dashboard_panel)
        for item in self.profile_items:
            register_profile_item(item)
        if self.demo_seeder is not None:
            register_demo_seeder(
                self.label, import_string(self.demo_seeder), order=self.demo_seeder_order
            )
        for task in self.periodic_tasks:
            register_periodic_task(task)
