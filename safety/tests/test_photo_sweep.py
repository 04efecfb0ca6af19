"""Photo files that no row names are removed after a grace period (safety.services.photo_sweep)."""

import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from safety import photo_files
from safety.services.photo_sweep import photo_files_sweep
from safety.tests.factories import UserFactory, jpeg_with_gps, make_report


def _age(name: str, hours: float) -> None:
    path = photo_files.photo_storage().path(name)
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def _exists(name: str) -> bool:
    return photo_files.photo_storage().exists(name)


@pytest.mark.django_db
def test_orphans_older_than_the_grace_go_and_named_files_stay():
    # Given a filed report (two files named by its row), an old orphan and a fresh orphan
    report = make_report(reporter=UserFactory(), photo_uploads=[jpeg_with_gps()])
    photo = report.photos.get()
    for name in (photo.original_name, photo.public_name):
        _age(name, hours=48)
    old = photo_files.photo_file_write("originals/left-by-a-killed-filing", b"old")
    _age(old, hours=2)
    fresh = photo_files.photo_file_write("public/a-filing-in-progress.jpg", b"new")

    # When the sweep runs with its one-hour grace
    result = photo_files_sweep()

    # Then only the old orphan is removed
    assert result.removed == [old]
    assert (result.kept_young, result.named) == (1, 2)
    assert not _exists(old)
    assert _exists(fresh) and _exists(photo.original_name) and _exists(photo.public_name)
    assert photo.original_bytes()


@pytest.mark.django_db
def test_a_deleted_reports_files_are_swept_and_a_dry_run_deletes_nothing():
    # Given a report deleted in the admin, its files a day old
    report = make_report(reporter=UserFactory(), photo_uploads=[jpeg_with_gps()])
    photo = report.photos.get()
    names = sorted([photo.original_name, photo.public_name])
    for name in names:
        _age(name, hours=24)
    report.delete()

    # When a dry run lists them
    listed = photo_files_sweep(dry_run=True)
    # Then both are listed and still there
    assert sorted(listed.removed) == names
    assert all(_exists(name) for name in names)

    # When the command runs for real
    call_command("safety_photo_sweep")
    # Then both are gone
    assert not any(_exists(name) for name in names)


@pytest.mark.django_db
def test_the_grace_is_measured_from_now():
    # Given an orphan written just now
    name = photo_files.photo_file_write("originals/just-now", b"x")
    # When the sweep looks two hours ahead
    result = photo_files_sweep(now=timezone.now() + timedelta(hours=2))
    # Then it is old enough to go
    assert result.removed == [name]
