"""Where report photos' bytes live: the `safety_photos` storage (settings.STORAGES; a folder of
the server in dev and test, any Django storage in production), under names the row keeps
(docs/adr/0006-report-photos-in-file-storage.md). The row keeps the original's SHA-256, which
is also anchored, so a file changed behind the row's back is detectable.

Files are written before the report's transaction opens and removed again when it fails
(`safety.services.reports`), so a photo row always names a written file and a failed filing
leaves none behind."""

from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

STORAGE_ALIAS = "safety_photos"


def photo_storage() -> Storage:
    """The configured storage, looked up when used (tests point it at a folder of their own)."""
    return storages[STORAGE_ALIAS]


def original_name_for(public_id) -> str:
    return f"originals/{public_id}"


def public_name_for(public_id) -> str:
    return f"public/{public_id}.jpg"


def photo_file_write(name: str, data: bytes) -> str:
    """Writes `data` under `name` (or the free name the storage chooses); returns the name."""
    return photo_storage().save(name, ContentFile(data))


def photo_file_read(name: str) -> bytes:
    """The file's bytes; FileNotFoundError when the storage has no such file."""
    with photo_storage().open(name, "rb") as file:
        return file.read()


def photo_files_remove(names: Iterable[str]) -> None:
    """Removes the named files; a name already gone is skipped."""
    storage = photo_storage()
    for name in names:
        if name:
            storage.delete(name)
