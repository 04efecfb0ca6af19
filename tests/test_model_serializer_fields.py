"""busanhub.model_serializer_fields: every ModelSerializer of the portal gets the fields DRF
would build, built once per class, and no two instances share a field."""

import contextlib
import importlib
from typing import Any, cast

from django.apps import apps
from django.utils import translation
from rest_framework import serializers

from busanhub import model_serializer_fields


def _all_model_serializers() -> list[type]:
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.serializers")
        except ModuleNotFoundError:
            continue
    found, pending = [], [serializers.ModelSerializer]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.split(".")[0] in {"busanhub", *_service_apps()}:
                found.append(subclass)
    return found


@contextlib.contextmanager
def _drfs_own_code():
    serializers.ModelSerializer.get_fields = model_serializer_fields._drf_get_fields
    try:
        yield
    finally:
        serializers.ModelSerializer.get_fields = model_serializer_fields.get_fields


def _service_apps() -> set[str]:
    return {"identity", "vouchers", "exchange", "safety", "logistics", "education"}


def test_the_cached_fields_are_drfs_for_every_serializer_of_the_portal():
    classes = _all_model_serializers()
    assert len(classes) >= 20  # the apps' output serializers are all found

    for cls in classes:
        expected = model_serializer_fields._drf_get_fields(cls())
        first, second = cls().fields, cls().fields  # built, then copied from the cache

        for fields in (first, second):
            assert list(fields) == list(expected), cls
            assert [repr(f) for f in fields.values()] == [repr(f) for f in expected.values()]
        assert (cls, translation.get_language()) in model_serializer_fields._built
        assert all(first[name] is not second[name] for name in first)
        assert all(first[name].parent is not second[name].parent for name in first)


def test_labels_stay_in_the_language_of_each_use():
    """Built under one language, the cached fields still answer in the language of each use,
    as fields DRF builds then (its labels and messages are lazy translations)."""
    model_serializer_fields._built.clear()
    for cls in _all_model_serializers():
        with translation.override("en"):
            cls().fields  # noqa: B018 - the first use: in English ("Status" needs no label)
        for language in ("en", "ko"):
            with translation.override(language):
                cached = {name: str(field.label) for name, field in cls().fields.items()}
                with _drfs_own_code():
                    built = {name: str(field.label) for name, field in cls().fields.items()}
                assert cached == built, cls


def test_a_serializer_with_its_own_hooks_keeps_drfs_code():
    from exchange.serializers import OrderOut

    class WithHook(OrderOut):
        def get_extra_kwargs(self):
            return {}

    assert not model_serializer_fields._is_cacheable(WithHook)
    assert model_serializer_fields._is_cacheable(OrderOut)
    WithHook().fields  # noqa: B018
    assert not any(key[0] is WithHook for key in model_serializer_fields._built)


class _Declared(serializers.Serializer):
    name = serializers.CharField(max_length=12, required=False)
    amount = serializers.IntegerField(min_value=1)
    tags = serializers.ListField(child=serializers.CharField())
    options = serializers.JSONField(default=dict)
    extra = serializers.JSONField(required=False, initial={"shared": False})
    verify_url = serializers.SerializerMethodField()

    def get_verify_url(self, obj) -> str:
        return "/verify/"


def test_declared_fields_are_copied_as_drfs_deep_copy_and_never_shared():
    first, second = _Declared(), _Declared()
    with _drfs_own_code():
        expected = _Declared().fields
    # The same fields as DRF's copies give: arguments, binding, validation
    assert [repr(field) for field in first.fields.values()] == [
        repr(field) for field in expected.values()
    ]
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field is not _Declared._declared_fields[name]
        assert field.parent is first and second.fields[name].parent is second
        assert field.field_name == name
    # Binding a copy leaves the declared field unbound, for the next instance's copy
    assert all(field.parent is None for field in _Declared._declared_fields.values())
    ours: Any = first.fields
    theirs: Any = second.fields
    assert ours["verify_url"].method_name == "get_verify_url"
    # A field with a child, or a default that could change in place, keeps DRF's deep copy
    assert ours["tags"].child is not theirs["tags"].child
    assert ours["tags"].child.parent is ours["tags"]
    assert first.fields["extra"].initial is not second.fields["extra"].initial
    validating = _Declared(data={"amount": "0", "tags": ["a"]})
    assert not validating.is_valid()
    assert validating.errors["amount"][0].code == "min_value"


def test_a_copy_shares_only_values_that_cannot_change():
    plain = serializers.CharField(max_length=3, default="x")
    mutable: Any = serializers.JSONField(default=cast(Any, [1]))  # the case under test
    nested: Any = serializers.ListField(child=serializers.IntegerField())
    copied = model_serializer_fields.field_copy(plain)
    assert type(copied) is serializers.CharField and copied is not plain
    assert copied.__dict__ == plain.__dict__ and copied.max_length == 3
    assert model_serializer_fields.field_copy(mutable).default is not mutable.default
    assert model_serializer_fields.field_copy(nested).child is not nested.child
