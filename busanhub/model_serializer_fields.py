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

A class that overrides one of the hooks `get_fields` calls (`get_field_names`,
`get_extra_kwargs`, `build_field`, …) may depend on the instance (its context, its request):
it keeps DRF's own code. Installed by `busanhub.accounts.apps.AccountsConfig.ready`; the cache
is emptied when a test changes REST_FRAMEWORK.
"""

import copy

from django.core.signals import setting_changed
from django.utils import translation
from rest_framework import serializers
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
_built: dict[tuple[type, str | None], dict] = {}
_cacheable: dict[type, bool] = {}


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
    return copy.deepcopy(built)


def _forget(*, setting, **kwargs) -> None:
    if setting == "REST_FRAMEWORK":
        _built.clear()


def install() -> None:
    serializers.ModelSerializer.get_fields = get_fields  # type: ignore[method-assign]
    setting_changed.connect(_forget)
