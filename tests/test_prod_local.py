"""scripts/prod_local.py's env file: what honcho reads is what was written."""

import importlib.util
from pathlib import Path

from honcho import environ

ROOT = Path(__file__).resolve().parent.parent


def prod_local():
    spec = importlib.util.spec_from_file_location("prod_local", ROOT / "scripts" / "prod_local.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_value_with_spaces_reaches_honcho_and_env_read_unchanged(tmp_path):
    # Given the variables of a prod-local env file, one of them a 12-word mnemonic
    values = {
        "EXCHANGE_HD_MNEMONIC": (
            "pill weapon keen sun false permit future six enlist blind south adjust"
        ),
        "IDENTITY_KEY_ENCRYPTION_KEY": "b2K-xJ_0aZ8wq1Xw8y7n5m3k1j9h7g5f3d1s9a7p5o3=",
        "WEB_PORT": "8000",
    }
    path = tmp_path / "env"

    # When the file is written
    prod_local().env_write(path, values, "test")

    # Then honcho (which starts the processes) and env_read read every value back unchanged
    assert environ.parse(path.read_text()) == values
    assert prod_local().env_read(path) == values
