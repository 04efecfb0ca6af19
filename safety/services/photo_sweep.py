"""Removing photo files that no row names (docs/adr/0006-report-photos-in-file-storage.md).

A filing writes its files before its transaction opens and removes them when it fails, but a
process killed in between, a caller's own transaction rolled back after `report_create`, or a
report deleted in the admin leave files behind. Those carry GPS positions and faces, so they
must not stay: this sweep deletes every file under the photo folders that no `ReportPhoto`
names and that is older than a grace period (a filing in progress has written its files but
not yet committed the rows that name them)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from safety import photo_files
from safety.models import ReportPhoto

FOLDERS = ("originals", "public")
GRACE = timedelta(hours=1)


@dataclass
class SweepResult:
    removed: list[str] = field(default_factory=list)
    kept_young: int = 0  # orphans inside the grace period, left for the next run
    named: int = 0  # files a row names


def photo_files_sweep(
    *, grace: timedelta = GRACE, now: datetime | None = None, dry_run: bool = False
) -> SweepResult:
    """Deletes the orphaned photo files older than `grace` (none with `dry_run`)."""
    storage = photo_files.photo_storage()
    now = now or timezone.now()
    stored = [
        f"{folder}/{name}"
        for folder in FOLDERS
        if storage.exists(folder)
        for name in storage.listdir(folder)[1]
    ]
    named = set()
    for original, public in ReportPhoto.objects.values_list(
        "original_name", "public_name"
    ).iterator(chunk_size=10_000):
        named.add(original)
        named.add(public)
    result = SweepResult()
    for name in stored:
        if name in named:
            result.named += 1
        elif storage.get_modified_time(name) > now - grace:
            result.kept_young += 1
        else:
            result.removed.append(name)
    if not dry_run:
        photo_files.photo_files_remove(result.removed)
    return result
