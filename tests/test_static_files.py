import json

import pytest

from busanhub.static_files import ManifestStaticFilesStorage


@pytest.fixture
def storage(settings, tmp_path):
    settings.DEBUG = False
    manifest = {
        "version": "1.1",
        "hash": "f00d",
        "paths": {"busanhub.css": "busanhub.1a2b3c.css", "img/a b.svg": "img/a b.9f8e.svg"},
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return ManifestStaticFilesStorage(location=tmp_path, base_url="/static/")


def test_urls_are_the_manifests_and_kept_for_the_process(storage):
    plain = ManifestStaticFilesStorage(location=storage.location, base_url="/static/")
    plain.URLS_KEPT = 0  # keeps nothing: Django's answer every time

    for name in ["busanhub.css", "img/a b.svg", "busanhub.css"]:
        assert storage.url(name) == plain.url(name)
    assert storage._urls == {
        "busanhub.css": "/static/busanhub.1a2b3c.css",
        "img/a b.svg": plain.url("img/a b.svg"),
    }
    assert plain._urls == {}


def test_a_name_missing_from_the_manifest_fails_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("missing.css")
    assert "missing.css" not in storage._urls


def test_debug_serves_names_unhashed_and_keeps_nothing(storage, settings):
    settings.DEBUG = True

    assert storage.url("busanhub.css") == "/static/busanhub.css"
    assert storage._urls == {}
