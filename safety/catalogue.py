"""The active service catalogue (categories with their department, questions and list values),
kept in the cache: the report form, every filing and Open311's service list read it, and it
changes only when staff edit it.

The cached list is keyed on a catalogue generation (busanhub.generations), renewed by every save
or delete of a department, category, question or list value: the catalogue is written by the
admin's forms and inlines, the demo seed and the shell, none of them through a service. After a
`QuerySet.update()` call `CATALOGUE.changed()`; the entries also expire after CATALOGUE_CACHE_S."""

from django.core.cache import cache

from busanhub.generations import Generation

from . import selectors
from .models import AttributeValue, Category, CategoryAttribute, Department

CATALOGUE = Generation("safety:catalogue:version")
CATALOGUE_VERSION_KEY = CATALOGUE.key
CATALOGUE_CACHE_S = 3600


def categories_active_cached() -> list[Category]:
    """`selectors.categories_active()` as a list (department, questions and values prefetched),
    from the cache while the catalogue is unchanged. Each call returns fresh objects."""
    key = f"safety:catalogue:{CATALOGUE.current()}"
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
    CATALOGUE.connect(Department, Category, CategoryAttribute, AttributeValue)
