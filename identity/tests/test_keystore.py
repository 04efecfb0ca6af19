import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from identity import keystore, multikey


def test_environment_key_is_used_and_a_changed_key_is_detected(settings, monkeypatch):
    key = multikey.generate()
    monkeypatch.setenv("IDENTITY_KEY_ENCRYPTION_KEY", Fernet.generate_key().decode())
    token = keystore.encrypt_private_key(key)
    assert multikey.private_key_raw(keystore.decrypt_private_key(token)) == (
        multikey.private_key_raw(key)
    )

    monkeypatch.setenv("IDENTITY_KEY_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(ImproperlyConfigured):
        keystore.decrypt_private_key(token)


def test_dev_default_is_derived_from_the_secret_key(settings, monkeypatch):
    monkeypatch.delenv("IDENTITY_KEY_ENCRYPTION_KEY", raising=False)
    key = multikey.generate()
    token = keystore.encrypt_private_key(key)
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    with pytest.raises(ImproperlyConfigured):
        keystore.decrypt_private_key(token)


def test_a_malformed_key_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("IDENTITY_KEY_ENCRYPTION_KEY", "not-a-fernet-key")
    with pytest.raises(ImproperlyConfigured):
        keystore.encrypt_private_key(multikey.generate())
