"""/healthz: the database, the broker and the chain node, each checked for real."""

import pytest

from busanhub.chain.devnode import free_port


@pytest.fixture
def on_anvil(settings, anvil):
    settings.CHAIN_RPC_URL = anvil.url
    return anvil


@pytest.mark.django_db
def test_healthz_is_200_when_everything_answers(client, on_anvil, settings):
    # Given the test settings' broker (kombu's filesystem transport) and the anvil
    assert settings.CELERY_BROKER_URL == "filesystem://"

    # When /healthz is asked
    response = client.get("/healthz")

    # Then every check is ok
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "broker", "chain"}
    assert all(check["ok"] is True for check in body["checks"].values()), body
    assert body["checks"]["chain"]["chainId"] == 31337
    assert body["checks"]["chain"]["block"] >= 0
    assert all(check["ms"] >= 0 for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_chain_node_is_down(client, settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["checks"]["chain"]["ok"] is False
    assert body["checks"]["chain"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_healthz_only_answers_get(client, on_anvil):
    assert client.post("/healthz").status_code == 405


@pytest.fixture
def broker_folder_missing(tmp_path):
    from busanhub.celery import app

    previous = app.conf.broker_transport_options
    # A folder that cannot be created either: its parent is a file.
    (tmp_path / "a-file").write_text("")
    missing = str(tmp_path / "a-file" / "no-such-folder")
    app.conf.broker_transport_options = {"data_folder_in": missing, "data_folder_out": missing}
    yield missing
    app.conf.broker_transport_options = previous


@pytest.mark.django_db
def test_healthz_is_503_when_the_filesystem_broker_has_no_folder(
    client, on_anvil, broker_folder_missing
):
    # kombu's filesystem transport "connects" without its folder; publishing would then fail
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["ok"] is False
    assert broker_folder_missing in body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["chain"]["ok"] is True


@pytest.mark.django_db
def test_healthz_creates_a_missing_broker_folder(client, on_anvil, tmp_path):
    """A missing filesystem-broker folder is created, as a publish would (busanhub.celery)."""
    from busanhub.celery import app

    previous = app.conf.broker_transport_options
    folder = tmp_path / "broker" / "queue"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
    }
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_transport_options = previous

    assert response.status_code == 200
    assert folder.is_dir()
