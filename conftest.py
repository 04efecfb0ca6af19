"""Shared fixtures: the embedded PostgreSQL when DATABASE_URL is unset, a real anvil node
(npm @foundry-rs/anvil) and a deployed BusanAnchor."""

import os
from pathlib import Path

import pytest

from busanhub.chain.devnode import Anvil

# Where CI requires every real component, a missing one fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("CI", "").lower() == "true" or bool(
    os.environ.get("BUSANHUB_REQUIRE_SERVICES")
)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Without DATABASE_URL the test settings name this run's throw-away cluster: start it
    before pytest-django creates the test database (and clear what killed runs left)."""
    if "DATABASE_URL" in os.environ:
        return
    from django.conf import settings

    from busanhub import devdb

    devdb.throwaway_clusters_prune()
    pgdata = Path(settings.DATABASES["default"]["OPTIONS"]["host"])
    devdb.cluster_start(pgdata, database="postgres", throwaway=True)


@pytest.fixture(scope="session")
def anvil():
    """One anvil for the session; tests that stop, rewind or reset a node use `own_anvil`."""
    node = Anvil().start()
    yield node
    node.stop()


@pytest.fixture
def own_anvil():
    node = Anvil().start()
    yield node
    node.stop()


def _use_node(settings, node):
    settings.CHAIN_RPC_URL = node.url
    settings.CHAIN_CONFIRMATIONS = 1
    settings.CHAIN_AUTO_DEPLOY = False


@pytest.fixture
def chain(db, settings, anvil):
    """The session's anvil with a fresh BusanAnchor deployed and recorded."""
    from busanhub.chain import services

    _use_node(settings, anvil)
    deployment = services.deployment_create()
    anvil.deployment = deployment
    return anvil


@pytest.fixture
def own_chain(db, settings, own_anvil):
    """A private anvil (safe to stop, rewind or reset) with BusanAnchor deployed."""
    from busanhub.chain import services

    _use_node(settings, own_anvil)
    own_anvil.deployment = services.deployment_create()
    return own_anvil
