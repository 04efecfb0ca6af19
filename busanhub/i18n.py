"""Names that exist in Korean and English: one reader for every page, e-mail, admin and API.

Convention: a model keeps the English text in `<field>` (what the chain, the EPCIS documents
and the VCs carry) and the Korean beside it in `<field>_ko` (`name` + `name_ko`, `reason` +
`reason_ko`). `localized(obj, "name")` picks the Korean one when the active language is Korean
and it is filled in, the English one otherwise. Safety's older `<field>_ko` + `<field>_en`
pairs are read the same way.

It is a template builtin (settings.TEMPLATES), so pages write `{{ place|localized_name }}` or
`{{ recall|localized:"reason" }}` without a `{% load %}`.

`translate_derived_verbose_names()` runs once at start-up (busanhub.accounts' ready()): a model
or field without an explicit, translatable verbose_name has one derived from its attribute name
("created_at" → "created at"), a plain string no catalogue can translate, so the admin's
column headers stayed English on Korean pages. It wraps such names in `gettext_lazy`, and the
Korean is in the catalogues (the root `locale/`) like any other msgid. Doing it here, not with
`verbose_name=` on five hundred fields, leaves every app's migrations alone (migrations keep
what the code gave, not what ready() sets).
"""

from django import template
from django.apps import apps
from django.utils.functional import Promise, lazy
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy

register = template.Library()

KOREAN = "ko"


def is_korean(language: str | None = None) -> bool:
    return (language or get_language() or "").split("-")[0] == KOREAN


def _value(obj, name: str) -> str:
    if isinstance(obj, dict):
        return obj.get(name) or ""
    return getattr(obj, name, "") or ""


def localized(obj, field: str = "name", language: str | None = None) -> str:
    """`obj.<field>_ko` on a Korean page when filled in, else the English `obj.<field>` (or
    `obj.<field>_en` where a model keeps both under suffixes). Works on dicts (API rows)."""
    if obj is None:
        return ""
    if is_korean(language):
        korean = _value(obj, f"{field}_ko")
        if korean:
            return str(korean)
    return str(_value(obj, field) or _value(obj, f"{field}_en") or _value(obj, f"{field}_ko"))


class LocalizedName:
    """Mixin for models with `name` + `name_ko`: `localized_name`, and `str()` in the reader's
    language (admin lists, select boxes and foreign-key columns use `str()`)."""

    @property
    def localized_name(self) -> str:
        return localized(self, "name")

    def __str__(self) -> str:
        return self.localized_name


@register.filter(name="localized")
def localized_filter(obj, field: str = "name") -> str:
    return localized(obj, field)


@register.filter(name="localized_name")
def localized_name_filter(obj) -> str:
    return localized(obj, "name")


def _korean_singular_or_plural(singular, plural) -> str:
    return str(singular) if is_korean() else str(plural)


_plural = lazy(_korean_singular_or_plural, str)

PROJECT_APPS = ("busanhub", "identity", "safety", "logistics", "vouchers", "exchange", "education")


def translate_derived_verbose_names() -> None:
    """Wraps every derived (never given) verbose_name of the project's models and their fields
    in gettext_lazy; a model's own name gets a context ("model name"): "order" is 순서 as a
    field of a form's questions and 주문 as the exchange's model."""
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in PROJECT_APPS:
            continue
        options = model._meta
        if not isinstance(options.verbose_name, Promise):
            options.verbose_name = pgettext_lazy("model name", str(options.verbose_name))
        if "verbose_name_plural" not in options.original_attrs:
            # Derived as "{verbose_name}s": "지갑s" on a Korean page. Korean has no plural.
            options.verbose_name_plural = _plural(options.verbose_name, options.verbose_name_plural)
        elif not isinstance(options.verbose_name_plural, Promise):
            options.verbose_name_plural = pgettext_lazy(
                "model name plural", str(options.verbose_name_plural)
            )
        for field in options.get_fields(include_hidden=False):
            if field.auto_created or not hasattr(field, "verbose_name"):
                continue
            if not isinstance(field.verbose_name, Promise):
                field.verbose_name = gettext_lazy(field.verbose_name)
