"""`make prod-local`: the processes production runs, on this machine, under
`busanhub.settings.prod` (for load tests and deploy rehearsals; never a real deployment).

    make prod-local                                   # embedded PostgreSQL, RabbitMQ, Redis
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub make prod-local
    WEB_CONCURRENCY=4 WORKERS_ANCHORING=2 make prod-local
    .venv/bin/python scripts/prod_local.py env       # only write var/prod-local/env

Steps: the env file `var/prod-local/env` (LOCAL ONLY: the secrets in it are generated on this
machine once, kept in `var/prod-local/secrets.env`, and must never serve real users; the
chain key is anvil's public test key #0), the embedded PostgreSQL when DATABASE_URL is unset,
`migrate`, `setup_periodic_tasks`, `collectstatic`, then honcho runs `Procfile.prod-local`:
anvil, gunicorn, one Celery worker per queue (anchoring, matching, default), beat (after
`chain_deploy --if-missing`: prod never deploys the contract by itself) and the exchange's
matcher process. Ctrl-C (or SIGTERM to this process) stops them all.

Every variable below may be overridden from the environment. What differs from a real
production on purpose, and only here: no TLS proxy in front, so SECURE_SSL_REDIRECT is off
(cookies stay `Secure`: browsers accept them on http://localhost, scripts set them
themselves); BANK_GATEWAY names a class that does not exist (prod refuses the sandbox bank,
and this machine has no bank: a top-up or KRW transfer fails, everything else works).
"""

import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "var" / "prod-local"
ENV_FILE = STATE / "env"
SECRETS_FILE = STATE / "secrets.env"
BIN = ROOT / ".venv" / "bin"
# anvil's public test account #0: funded on every local anvil, worthless anywhere else.
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
LOCAL_ONLY_BANK = "local_only.no_bank.NoBankGateway"

DEFAULTS = {
    "DJANGO_SETTINGS_MODULE": "busanhub.settings.prod",
    "WEB_PORT": "8000",
    "CHAIN_PORT": "8545",
    # docs/operations.md: gunicorn 4 workers x 4 threads on 2 CPUs (2 x 16 lost a third of the
    # throughput to GIL hand-offs in the load test).
    "WEB_CONCURRENCY": "4",
    "WEB_THREADS": "4",
    # Longer than any client's or proxy's idle keep-alive (nginx upstream: 60 s): gunicorn's
    # 2 s default closes connections that clients are about to reuse (status 0 in bench/load.py).
    "WEB_KEEPALIVE": "75",
    "WORKERS_ANCHORING": "1",
    "WORKERS_MATCHING": "1",
    "WORKERS_DEFAULT": "2",
    "CELERY_LOG_LEVEL": "warning",
    "LOG_LEVEL": "WARNING",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "False",
    "EXCHANGE_MATCHING": "process",
    "CHAIN_CONFIRMATIONS": "1",
    "CHAIN_ANCHOR_INTERVAL_S": "10",
    "MEDIA_ROOT": str(STATE / "media"),
    "BANK_GATEWAY": LOCAL_ONLY_BANK,
    "CHAIN_PRIVATE_KEY": ANVIL_KEY_0,
}


def secrets_generate() -> dict[str, str]:
    from cryptography.fernet import Fernet
    from eth_account.hdaccount.mnemonic import Language, Mnemonic

    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "IDENTITY_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "EXCHANGE_HD_MNEMONIC": Mnemonic(Language.ENGLISH).generate(12),
    }


def env_read(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = shlex.split(value)[0] if value[:1] in ("'", '"') else value
    return values


def env_write(path: Path, values: dict[str, str], header: str) -> None:
    """KEY=value lines; a value with spaces (the mnemonic) quoted, as honcho's reader (shlex)
    would otherwise join its words into one."""
    lines = [f"# {header}"] + [
        f"{name}={shlex.quote(value) if any(c.isspace() for c in value) else value}"
        for name, value in values.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def environment() -> dict[str, str]:
    """The effective variables: defaults, the local secrets, then this process's environment."""
    STATE.mkdir(parents=True, exist_ok=True)
    if not SECRETS_FILE.exists():
        env_write(SECRETS_FILE, secrets_generate(), "LOCAL ONLY: generated for prod-local")
    values = dict(DEFAULTS) | env_read(SECRETS_FILE)
    values["DATABASE_URL"] = f"postgres://postgres@/busanhub?host={ROOT / 'var' / 'pg'}"
    for name in list(values):
        if os.environ.get(name):
            values[name] = os.environ[name]
    values["CHAIN_RPC_URL"] = os.environ.get(
        "CHAIN_RPC_URL", f"http://127.0.0.1:{values['CHAIN_PORT']}"
    )
    values["SITE_URL"] = os.environ.get("SITE_URL", f"http://127.0.0.1:{values['WEB_PORT']}")
    values["CSRF_TRUSTED_ORIGINS"] = os.environ.get("CSRF_TRUSTED_ORIGINS", values["SITE_URL"])
    return values


def env_file() -> dict[str, str]:
    values = environment()
    env_write(ENV_FILE, values, "LOCAL ONLY (scripts/prod_local.py): never use these secrets")
    return values


def manage(values: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=os.environ | values, check=True
    )


def prepare(values: dict[str, str]) -> None:
    if not os.environ.get("DATABASE_URL"):
        subprocess.run([str(BIN / "python"), "-m", "busanhub.devdb", "start"], cwd=ROOT, check=True)
    manage(values, "migrate", "--noinput", "-v", "0")
    manage(values, "setup_periodic_tasks")
    if static_changed():
        manage(values, "collectstatic", "--noinput", "-v", "0")


def static_changed() -> bool:
    """Whether a static source is newer than the last collectstatic's manifest (compressing
    every file again takes minutes on a busy 2-CPU machine)."""
    manifest = ROOT / "var" / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return True
    collected = manifest.stat().st_mtime
    for folder in ROOT.glob("**/static"):
        if folder.is_relative_to(ROOT / "var") or ".venv" in folder.parts:
            continue
        if any(path.stat().st_mtime > collected for path in folder.rglob("*") if path.is_file()):
            return True
    return False


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "start"
    values = env_file()
    if command == "env":
        print(ENV_FILE)
        return 0
    prepare(values)
    if command == "prepare":
        return 0
    print(
        f"prod-local: http://127.0.0.1:{values['WEB_PORT']}/ (gunicorn {values['WEB_CONCURRENCY']}"
        f" x {values['WEB_THREADS']}), anvil :{values['CHAIN_PORT']}, env {ENV_FILE}",
        flush=True,
    )
    honcho = [str(BIN / "honcho"), "start", "-f", "Procfile.prod-local", "-e", str(ENV_FILE)]
    os.chdir(ROOT)
    os.execve(honcho[0], honcho, os.environ | values)  # noqa: S606 - honcho replaces us
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
