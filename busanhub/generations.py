"""A cache generation: cached entries are keyed on (or stored with) the current generation, and a
write to the rows they are built from starts a new one, so old entries are never read again.

`changed()` starts a new generation at once (the writing transaction's own later reads miss the
old entries) and again when the transaction commits (an entry that a concurrent reader rebuilt
from the rows before the commit was stored under the generation the commit then replaces).
`connect(*models)` calls it on every save and delete of those models: a cache's invalidation,
not domain logic, so receivers catch the services, the admin's forms and inlines, the seeders
and cascading deletes alike. `QuerySet.update()` sends no signal: call `changed()` after one.
Used by safety's service catalogue and education's course content."""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save


class Generation:
    def __init__(self, key: str) -> None:
        self.key = key  # the cache key holding the current generation

    def renew(self) -> str:
        generation = uuid.uuid4().hex
        cache.set(self.key, generation, timeout=None)
        return generation

    def changed(self, **_signal) -> None:
        """A new generation now and when the current transaction commits (see the module)."""
        self.renew()
        transaction.on_commit(self.renew)

    def current(self, found: str | None = None) -> str | None:
        """The current generation (`found`: as already read with other keys), made on first use
        or when the cache lost it (`add`: concurrent first users agree on one); None only when
        the cache keeps nothing."""
        if found is not None:
            return found
        generation = cache.get(self.key)
        if generation is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            generation = cache.get(self.key)
        return generation

    def connect(self, *models) -> None:
        for model in models:
            uid = f"generation:{self.key}:{model._meta.label}"
            post_save.connect(self.changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(
                self.changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete"
            )
