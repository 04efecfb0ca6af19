import sys

import pytest
from django.apps import apps

from busanhub import registry


@pytest.fixture
def empty_registry(monkeypatch):
    for name in ("_services", "_panels", "_profile_items", "_seeders", "_periodic_tasks"):
        monkeypatch.setattr(registry, name, {})


def seed(*, stdout, users) -> None:
    """A demo seeder for the test below (ServiceConfig imports it by its dotted path)."""


def test_a_service_config_registers_what_it_declares(empty_registry):
    # Given an app config that declares every kind of entry
    class ExampleConfig(registry.ServiceConfig):
        name = "example"
        service = registry.Service(slug="example", name="Example", url_name="example:home")
        dashboard_panel = registry.DashboardPanel(
            slug="example", title="Example", template_name="example/_panel.html"
        )
        profile_items = (registry.ProfileItem(slug="example-id", label="Id", value=str),)
        demo_seeder = f"{__name__}.seed"
        demo_seeder_order = 7
        periodic_tasks = (
            registry.PeriodicTask(name="Example: tick", task="example.tasks.tick", every_s=5),
        )

    # When Django makes it ready
    ExampleConfig("example", sys.modules[__name__]).ready()

    # Then each declaration is in the registry the platform reads
    assert registry.services() == [ExampleConfig.service]
    assert registry.dashboard_panels() == [ExampleConfig.dashboard_panel]
    assert list(registry._profile_items.values()) == list(ExampleConfig.profile_items)
    assert registry._seeders == {"example": (7, seed)}
    assert registry.periodic_tasks() == list(ExampleConfig.periodic_tasks)


def test_django_picks_each_service_apps_own_config():
    # ServiceConfig opts out of Django's choice of an apps.py's AppConfig; its subclasses opt in.
    assert registry.ServiceConfig.default is False
    for label in ("identity", "safety", "logistics", "vouchers", "exchange", "education", "chain"):
        config = apps.get_app_config(label)
        assert isinstance(config, registry.ServiceConfig)
        assert type(config).default is True
    assert [service.slug for service in registry.services()] == [
        "identity",
        "vouchers",
        "exchange",
        "safety",
        "logistics",
        "education",
    ]
