import pytest


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the source language); Korean is tested explicitly."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
