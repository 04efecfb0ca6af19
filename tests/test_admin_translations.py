"""Every model name, model field and admin column of the project reads in Korean on a Korean
admin page (issue #18): each differs from its English text, or is in ALLOWED with the reason."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.utils import translation

from busanhub.i18n import PROJECT_APPS

# Identifiers and standards' acronyms read the same in both languages.
ALLOWED = {
    "ID": "the primary key's column: an acronym Korean staff use as is",
    "DID": "W3C Decentralized Identifier: an acronym",
    "GLN": "GS1 Global Location Number: an acronym",
    "GTIN": "GS1 Global Trade Item Number: an acronym",
}


def _project_models():
    return [m for m in apps.get_models() if m.__module__.split(".")[0] in PROJECT_APPS]


def _in_both(text):
    with translation.override("ko"):
        korean = str(text)
    with translation.override("en"):
        english = str(text)
    return korean, english


def test_every_model_and_field_name_has_a_korean_translation():
    untranslated = []
    for model in _project_models():
        names = [("<model>", model._meta.verbose_name)]
        names += [("<plural>", model._meta.verbose_name_plural)]
        names += [
            (field.name, field.verbose_name)
            for field in model._meta.get_fields()
            if not field.auto_created and hasattr(field, "verbose_name")
        ]
        for name, text in names:
            korean, english = _in_both(text)
            if korean == english and english not in ALLOWED:
                untranslated.append(f"{model._meta.label}.{name}: {english}")
    assert untranslated == []


def test_every_admin_column_has_a_korean_header():
    untranslated = []
    for model, model_admin in admin.site._registry.items():
        if model.__module__.split(".")[0] not in PROJECT_APPS:
            continue
        for column in model_admin.list_display:
            if column == "__str__":
                continue
            with translation.override("ko"):
                korean = str(label_for_field(column, model, model_admin))
            with translation.override("en"):
                english = str(label_for_field(column, model, model_admin))
            if korean == english and english not in ALLOWED:
                untranslated.append(f"{model._meta.label} {column}: {english}")
    assert untranslated == []
