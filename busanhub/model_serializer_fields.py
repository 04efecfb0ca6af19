"""DRF's ModelSerializer builds its fields from the model once per class, not once per use.

`ModelSerializer.get_fields` introspects the model for every serializer instance: each model
field's kwargs (verbose name, validators, choices, max length, nullability: `build_field`,
`get_field_kwargs`) then a field built from them, ~1 ms of CPU for a serializer of a dozen
model fields, on every answer of a payment or an order. The result depends only on the class
and the language (its `Meta`, its declared fields, DRF's settings; whether a field gets a label
compares translated names), so it is built once per class and language and every instance
gets a deep copy, as DRF already does with
declared fields (`Field.__deepcopy__` builds a new field from the same arguments, so no
instance shares a bound field with another).

Every instance's copy is a new field object holding the pristine one's attributes (what
`Field.__deepcopy__` would rebuild by running `__init__` again with deep copies of its
arguments, ~10 µs a field, 60% of a payment's answer): binding a field sets attributes on the
copy only, and the pristine fields are never bound. A field whose state is not plain values
keeps DRF's deep copy: a nested serializer, a field with a child field (ListField, DictField,
a many relation), a field with its own `__deepcopy__`, a default or initial value that could
be mutated (a list, a dict). Plain `Serializer`s (declared fields only) copy the same way.

A class that overrides one of the hooks `get_fields` calls (`get_field_names`,
`get_extra_kwargs`, `build_field`, …) may depend on the instance (its context, its request):
it keeps DRF's own code. Installed by `busanhub.accounts.apps.AccountsConfig.ready`; the cache
is emptied when a test changes REST_FRAMEWORK.
"""

import copy
from decimal import Decimal
from typing import Any

from django.core.signals import setting_changed
from django.utils import translation
from rest_framework import fields, serializers
from rest_framework.settings import api_settings

_HOOKS = (
    "get_field_names",
    "get_default_field_names",
    "get_extra_kwargs",
    "get_uniqueness_extra_kwargs",
    "include_extra_kwargs",
    "build_field",
    "build_standard_field",
    "build_relational_field",
    "build_nested_field",
    "build_property_field",
    "build_url_field",
    "build_unknown_field",
)
_drf_get_fields = serializers.ModelSerializer.get_fields
_drf_declared_get_fields = serializers.Serializer.get_fields
# Values a field may share with its copies: nothing can change them in place.
_IMMUTABLE = (str, int, float, bool, Decimal, bytes, type(None), type(fields.empty))
_shallow: dict[type, bool] = {}
_built: dict[tuple[type, str | None], dict] = {}
_cacheable: dict[type, bool] = {}


def _class_copies_shallow(cls: type) -> bool:
    answer = _shallow.get(cls)
    if answer is None:
        answer = _shallow[cls] = (
            issubclass(cls, fields.Field)
            and not issubclass(cls, serializers.BaseSerializer)
            and cls.__deepcopy__ is fields.Field.__deepcopy__
        )
    return answer


def _plain(value: Any) -> bool:
    return isinstance(value, _IMMUTABLE) or callable(value)


def field_copy(field: Any) -> Any:
    """A copy of an unbound field as DRF's deep copy would give, at a fraction of its cost."""
    if (
        not _class_copies_shallow(type(field))
        or "child" in field.__dict__
        or "child_relation" in field.__dict__
        or not _plain(field.default)
        or not _plain(field.initial)
    ):
        return copy.deepcopy(field)
    # Field.__new__ only records the constructor's arguments, which the dictionary holds.
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


def fields_copy(built: dict) -> dict:
    return {name: field_copy(field) for name, field in built.items()}


def declared_get_fields(self) -> dict:
    """Serializer.get_fields: the declared fields, copied."""
    return fields_copy(self._declared_fields)


def _is_cacheable(cls: type) -> bool:
    answer = _cacheable.get(cls)
    if answer is None:
        base = serializers.ModelSerializer
        answer = _cacheable[cls] = all(getattr(cls, hook) is getattr(base, hook) for hook in _HOOKS)
    return answer


def get_fields(self) -> dict:
    cls = type(self)
    if not _is_cacheable(cls):
        return _drf_get_fields(self)
    # Per language too: DRF gives a field a label only where the model's verbose name, in the
    # language active at build time, differs from the one made of the field's name.
    key = (cls, translation.get_language())
    built = _built.get(key)
    if built is None:
        fields = _drf_get_fields(self)
        _built[key] = copy.deepcopy(fields)
        return fields
    if self.url_field_name is None:  # as DRF's get_fields leaves it
        self.url_field_name = api_settings.URL_FIELD_NAME
    return fields_copy(built)


def _forget(*, setting, **kwargs) -> None:
    if setting == "REST_FRAMEWORK":
        _built.clear()


def install() -> None:
    serializers.ModelSerializer.get_fields = get_fields  # type: ignore[method-assign]
    serializers.Serializer.get_fields = declared_get_fields  # type: ignore[method-assign]
    setting_changed.connect(_forget)
