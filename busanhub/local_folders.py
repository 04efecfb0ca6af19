"""Folders on this machine that settings name and code needs: created by the code that uses
them, when it starts, never by settings at import time.

- STATIC_ROOT: WhiteNoise indexes it when its middleware starts (busanhub.static_files); before
  the first collectstatic (dev, tests) it is an empty folder rather than a warning.
- The filesystem broker's folders (kombu's `filesystem://`, dev and tests): kombu writes a
  published message into `data_folder_out` and a worker lists `data_folder_in`, and neither
  creates them (busanhub.celery creates them before a publish and when a worker starts).
"""

from pathlib import Path

BROKER_FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def folders_create(paths) -> list[Path]:
    """Creates each folder (and its parents) that does not exist; returns those it created."""
    created = []
    for path in paths:
        path = Path(path)
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            created.append(path)
    return created


def broker_folders(broker_url: str | None, transport_options: dict | None) -> list[Path]:
    """The folders of kombu's filesystem transport in these options (none for another broker)."""
    if not str(broker_url or "").startswith("filesystem:"):
        return []
    options = transport_options or {}
    return [Path(options[name]) for name in BROKER_FOLDER_OPTIONS if options.get(name)]
