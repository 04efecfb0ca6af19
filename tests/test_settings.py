"""Production settings refuse to start without their secrets, and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROD_ENV = {
    "DJANGO_SECRET_KEY": "x" * 60 + "-not-a-real-secret-but-long-and-random-enough-0123456789",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/busanhub",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CHAIN_RPC_URL": "http://127.0.0.1:8545",
    "CHAIN_PRIVATE_KEY": "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "ALLOWED_HOSTS": "busanhub.example",
    "IDENTITY_KEY_ENCRYPTION_KEY": "p6HXVaHK8qHkscchBwNNq495XPdh003X-wg4l5ACsUc=",
    # A deployment's own gateway package; settings and check --deploy never import it.
    "BANK_GATEWAY": "examplebank.gateway.OpenBankingGateway",
    # BIP-39's public test vector: a valid mnemonic, and no one's funds.
    "EXCHANGE_HD_MNEMONIC": "abandon " * 11 + "about",
}


def manage(*args, env):
    # Nothing of the test run leaks in (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PROD_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "busanhub.settings.prod", **env},
        timeout=120,
    )


def test_prod_refuses_to_start_without_each_secret():
    for missing in PROD_ENV:
        env = {k: v for k, v in PROD_ENV.items() if k != missing}
        completed = manage("check", env=env)
        assert completed.returncode != 0
        assert "ImproperlyConfigured" in completed.stderr and missing in completed.stderr


def test_prod_passes_check_deploy_without_warnings():
    completed = manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert completed.returncode == 0, completed.stderr
    assert "no issues" in completed.stdout


def test_prod_keeps_database_connections():
    """The hot statements are prepared once per connection: production keeps connections."""
    show = "from django.conf import settings; d = settings.DATABASES['default']; "
    show += "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    completed = manage("shell", "--no-imports", "-c", show, env=PROD_ENV)
    assert completed.stdout.split() == ["600", "True"], completed.stderr
    env = {**PROD_ENV, "DATABASE_CONN_MAX_AGE": "60"}
    completed = manage("shell", "--no-imports", "-c", show, env=env)
    assert completed.stdout.split() == ["60", "True"], completed.stderr


def test_prod_refuses_the_sandbox_bank():
    """Given prod settings naming the sandbox bank, when Django starts, then it refuses; and
    the sandbox class itself refuses to be instantiated under prod settings."""
    env = {**PROD_ENV, "BANK_GATEWAY": "busanhub.bank.sandbox.SandboxGateway"}
    completed = manage("check", env=env)
    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr and "BANK_GATEWAY" in completed.stderr
    load = "from busanhub.bank.sandbox import SandboxGateway; SandboxGateway()"
    completed = manage("shell", "--no-imports", "-c", load, env=PROD_ENV)
    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr and "sandbox" in completed.stderr


def test_prod_refuses_anvils_public_mnemonic():
    """Given prod settings with anvil's test mnemonic as the exchange's seed, Django refuses to
    start: every key derived from it is public."""
    env = {
        **PROD_ENV,
        "EXCHANGE_HD_MNEMONIC": "test test test test test test test test test test test junk",
    }
    completed = manage("check", env=env)
    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr
    assert "EXCHANGE_HD_MNEMONIC" in completed.stderr


def test_prod_reads_the_exchange_settings_from_the_environment():
    show = "from django.conf import settings; from exchange import conf; "
    show += "print(conf.get('EXCHANGE_CONFIRMATIONS'), conf.mnemonic().split()[-1], "
    show += "conf.hot_wallet_limits())"
    env = {**PROD_ENV, "EXCHANGE_CONFIRMATIONS": "12", "EXCHANGE_HOT_WALLET_LIMITS": "eth=5"}
    completed = manage("shell", "--no-imports", "-c", show, env=env)
    assert completed.stdout.split() == ["12", "about", "{'ETH':", "5}"], completed.stderr
