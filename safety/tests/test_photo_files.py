"""Report photos' bytes live in the `safety_photos` storage, named by their rows
(docs/adr/0006-report-photos-in-file-storage.md)."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from PIL import Image

from busanhub.chain.models import AnchorLeaf
from safety import photo_files
from safety.models import Follower, MapCell, Report, ReportPhoto, ReportUpdate
from safety.tests.factories import (
    CategoryFactory,
    UserFactory,
    jpeg_with_gps,
    make_report,
    png_bytes,
    staff_member,
)


def _stored_files() -> list[str]:
    storage = photo_files.photo_storage()
    names = []
    for folder in ("originals", "public"):
        if storage.exists(folder):
            names += [f"{folder}/{name}" for name in storage.listdir(folder)[1]]
    return sorted(names)


@pytest.mark.django_db
def test_a_photo_is_two_files_named_by_its_row():
    # Given a citizen's photo with GPS EXIF
    photo = jpeg_with_gps()

    # When they file a report with it and a PNG
    report = make_report(reporter=UserFactory(), photo_uploads=[photo, png_bytes()])

    # Then each photo row names its original and its public copy, and both are files
    first, second = report.photos.order_by("position")
    assert _stored_files() == sorted(
        [first.original_name, first.public_name, second.original_name, second.public_name]
    )
    assert first.original_name == f"originals/{first.public_id}"
    assert first.public_name == f"public/{first.public_id}.jpg"
    assert first.original_bytes() == photo
    digest = hashlib.sha256(png_bytes()).hexdigest()
    assert (second.original_content_type, second.sha256) == ("image/png", digest)
    # And the public copy is a JPEG without metadata
    public = Image.open(io.BytesIO(first.public_bytes()))
    assert public.format == "JPEG"
    assert dict(public.getexif()) == {}


@pytest.mark.django_db
def test_a_refused_photo_writes_no_file():
    # When the second photo of a report is not an image
    with pytest.raises(ValidationError) as error:
        make_report(photo_uploads=[jpeg_with_gps(), b"not an image at all"])

    # Then it is refused, and no file was written
    assert "photos" in error.value.message_dict
    assert (_stored_files(), ReportPhoto.objects.count()) == ([], 0)


@pytest.mark.django_db
def test_a_report_refused_for_its_fields_writes_no_file():
    # When an Open311 partner's report with a photo gives a contact email that is not one
    with pytest.raises(ValidationError) as error:
        make_report(photo_uploads=[jpeg_with_gps()], contact_email="not an email")

    # Then it is refused naming the field, and no file was written
    assert list(error.value.message_dict) == ["contact_email"]
    assert (_stored_files(), Report.objects.count()) == ([], 0)


@pytest.mark.django_db
def test_a_failure_in_the_last_statement_of_a_filing_leaves_no_row_and_no_file():
    # Given a database that refuses the follower row (a real trigger, undone with the test)
    category = CategoryFactory(service_code="POTHOLE")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;"
            "CREATE TRIGGER refuse BEFORE INSERT ON safety_follower "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse()"
        )

    # When a citizen files a report with two photos
    with pytest.raises(DatabaseError):
        make_report(
            category=category, reporter=UserFactory(), photo_uploads=[jpeg_with_gps(), png_bytes()]
        )

    # Then nothing of it was stored: no row of any table and none of its four files
    assert (
        Report.objects.count(),
        ReportPhoto.objects.count(),
        ReportUpdate.objects.count(),
        Follower.objects.count(),
        AnchorLeaf.objects.filter(kind="safety.report").count(),
        MapCell.objects.count(),
    ) == (0, 0, 0, 0, 0, 0)
    assert _stored_files() == []


@pytest.mark.django_db
def test_a_photo_whose_file_is_gone_answers_404_not_500(client):
    # Given a photo whose files were lost (a database restored without them)
    photo = make_report(photo_uploads=[jpeg_with_gps()]).photos.get()
    photo_files.photo_files_remove([photo.original_name, photo.public_name])

    # Then both its addresses answer 404
    assert client.get(photo.get_absolute_url()).status_code == 404
    client.force_login(staff_member("staff-safety"))
    original_url = f"/safety/photos/{photo.public_id}/original"
    assert client.get(original_url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_photo_bytes_to_files_and_back():
    executor = MigrationExecutor(connection)
    before, after = (
        [("safety", "0005_mapcell_verbose_names")],
        [("safety", "0007_photo_bytes_removed")],
    )
    try:
        # Given a photo row of before the move, its bytes in the row
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        category = old_apps.get_model("safety", "Category").objects.create(
            service_code="POTHOLE",
            name_ko="도로 파손",
            name_en="Pothole",
            department=old_apps.get_model("safety", "Department").objects.create(
                code="roads", name_ko="도로과", name_en="Roads"
            ),
        )
        report = old_apps.get_model("safety", "Report").objects.create(
            category=category, lat=35.18, long=129.07, due_at="2026-12-05T00:00:00Z"
        )
        old = old_apps.get_model("safety", "ReportPhoto").objects.create(
            report=report,
            position=1,
            original=b"original bytes",
            original_content_type="image/jpeg",
            sha256="0" * 64,
            public_image=b"public bytes",
            width=1,
            height=1,
        )

        # When the migrations run
        executor = MigrationExecutor(connection)
        executor.migrate(after)

        # Then the bytes are files, named by the row
        moved = ReportPhoto.objects.get(pk=old.pk)
        assert (moved.original_bytes(), moved.public_bytes()) == (
            b"original bytes",
            b"public bytes",
        )
        assert moved.original_name == f"originals/{old.public_id}"

        # And back: the reverse puts the bytes in the row again
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        back_apps = executor.loader.project_state(before).apps
        back = back_apps.get_model("safety", "ReportPhoto").objects.get(pk=old.pk)
        assert (bytes(back.original), bytes(back.public_image)) == (
            b"original bytes",
            b"public bytes",
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
