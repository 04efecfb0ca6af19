"""How service apps plug into the portal without the platform importing them.

Each service app registers, from its AppConfig.ready(), a navigation entry and optionally a
panel on the citizen dashboard (/me/). The platform only reads this registry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Service:
    slug: str
    name: Any  # a lazy translatable string
    url_name: str
    order: int = 100

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
    template_name: str
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
