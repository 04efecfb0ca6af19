"""A change list's related-field filter whose choices are remembered between pages.

Django's RelatedFieldListFilter reads every row of the related table (all its columns) on every
page of the list, to offer each as a choice in the sidebar: the safety queue read departments,
categories and the staff, three queries of its twelve, on each page. The choices change when
those rows change, so they are remembered in the cache under a generation
(busanhub.generations) that every save and delete of the related model renews: a new category
shows on the next page. The entries are keyed by the page's language too (a choice reads as
`str()` of its row, which may be in the reader's language), and expire after
CHOICES_CACHE_S, which bounds what a `QuerySet.update()` or `bulk_create()` (no signal) leaves
stale; call `choices_changed(Model)` after one.

A model's choices are remembered only once `remember_choices_of(Model)` has connected its
signals, at start-up (the admin modules, imported by every process that runs Django, call it):
a filter over a model that was not connected reads the database, as Django does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.cache import cache
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils import translation

from busanhub.generations import Generation

CHOICES_CACHE_S = 600

_generations: dict[str, Generation] = {}


def _generation_key(model: type[models.Model]) -> str:
    return f"admin:choices:{model._meta.label_lower}:generation"


def remember_choices_of(
    model: type[models.Model],
    *,
    keeps: Callable[[Any, frozenset[str]], bool] | None = None,
) -> None:
    """Remembers the filter choices read from `model`. `keeps(instance, update_fields)` may
    say that a save naming its `update_fields` leaves every choice as it was (a sign-in's
    last_login, a citizen's language); a save without update_fields always renews them."""
    label = model._meta.label_lower
    if label in _generations:
        return
    generation = _generations[label] = Generation(_generation_key(model))

    def saved(*, instance: Any, update_fields: Any = None, **_signal: Any) -> None:
        if update_fields is not None and keeps is not None and keeps(instance, update_fields):
            return
        generation.changed()

    uid = f"admin-choices:{label}"
    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"{uid}:save")
    post_delete.connect(generation.changed, sender=model, weak=False, dispatch_uid=f"{uid}:del")


def choices_changed(model: type[models.Model]) -> None:
    """After a `QuerySet.update()` or `bulk_create()` of `model`'s rows."""
    generation = _generations.get(model._meta.label_lower)
    if generation is not None:
        generation.changed()


class RememberedRelatedFilter(admin.RelatedFieldListFilter):
    """Django's related-field filter with its choices remembered (see the module)."""

    def field_choices(self, field: Any, request: Any, model_admin: Any) -> list:
        related = field.related_model
        generation = _generations.get(related._meta.label_lower)
        current = generation.current() if generation is not None else None
        if current is None:
            return self.choices_read(field, request, model_admin)
        key = ":".join(
            [
                "admin:choices",
                related._meta.label_lower,
                f"{type(self).__module__}.{type(self).__qualname__}",
                f"{model_admin.model._meta.label_lower}.{self.field_path}",
                translation.get_language() or "",
                current,
            ]
        )
        choices = cache.get(key)
        if choices is None:
            choices = list(self.choices_read(field, request, model_admin))
            cache.set(key, choices, CHOICES_CACHE_S)
        return choices

    def choices_read(self, field: Any, request: Any, model_admin: Any) -> list:
        """The choices from the database: Django's (a subclass narrows them here)."""
        return super().field_choices(field, request, model_admin)
