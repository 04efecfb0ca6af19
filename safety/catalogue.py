"""The active service catalogue (categories with their department, questions and list values),
kept in the cache: the report form, every filing and Open311's service list read it, and it
changes only when staff edit it.

The cached list is keyed on a catalogue version. Every save or delete of a department,
category, question or list value renews the version at once (so the writing transaction's own
later reads miss the old entry) and again when its transaction commits (so an entry that a
concurrent request read before the commit is not kept). A signal, not a call in a service:
the catalogue is written by the admin's forms and inlines, the demo seed and the shell, and
none of them goes through a service. `QuerySet.update()` sends no signal: call
`catalogue_changed()` after one; the entries also expire after CATALOGUE_CACHE_S."""

import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import selectors
from .models import AttributeValue, Category, CategoryAttribute, Department

CATALOGUE_VERSION_KEY = "safety:catalogue:version"
CATALOGUE_CACHE_S = 3600


def catalogue_renew() -> None:
    """A new catalogue version: entries of the old one are no longer read."""
    cache.set(CATALOGUE_VERSION_KEY, time.time_ns(), timeout=None)


def catalogue_changed(**_signal) -> None:
    """Renews the version now and when the current transaction commits (see the module)."""
    catalogue_renew()
    transaction.on_commit(catalogue_renew)


def categories_active_cached() -> list[Category]:
    """`selectors.categories_active()` as a list (department, questions and values prefetched),
    from the cache while the catalogue is unchanged. Each call returns fresh objects."""
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        cache.add(CATALOGUE_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(CATALOGUE_VERSION_KEY)
    key = f"safety:catalogue:{version}"
    categories = cache.get(key)
    if categories is None:
        categories = list(selectors.categories_active())
        cache.set(key, categories, CATALOGUE_CACHE_S)
    return categories


def category_active_cached(service_code: str) -> Category | None:
    """The active category of `service_code` (as `categories_active_cached`), or None."""
    return next(
        (item for item in categories_active_cached() if item.service_code == service_code), None
    )


def signals_connect() -> None:
    for model in (Department, Category, CategoryAttribute, AttributeValue):
        uid = f"safety.catalogue.{model.__name__}"
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"{uid}.delete")
