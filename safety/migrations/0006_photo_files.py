"""Report photos' bytes move from the rows (bytea) to the `safety_photos` storage
(docs/adr/0006-report-photos-in-file-storage.md): the new name columns are added and every
existing row's original and public copy are written as files and named in it. The bytea
columns go in 0007, once this has committed. Reversible: the reverse reads the files back."""

from django.db import migrations, models

from safety import photo_files

BATCH = 200


def photos_to_files(apps, schema_editor):
    ReportPhoto = apps.get_model("safety", "ReportPhoto")
    written = []
    try:
        rows = ReportPhoto.objects.filter(original_name="").order_by("pk")
        for row in rows.only("pk", "public_id", "original", "public_image").iterator(BATCH):
            row.original_name = photo_files.photo_file_write(
                photo_files.original_name_for(row.public_id), bytes(row.original)
            )
            written.append(row.original_name)
            row.public_name = photo_files.photo_file_write(
                photo_files.public_name_for(row.public_id), bytes(row.public_image)
            )
            written.append(row.public_name)
            row.save(update_fields=["original_name", "public_name"])
    except BaseException:
        # The migration's transaction rolls back: no row names these files.
        photo_files.photo_files_remove(written)
        raise


def files_to_photos(apps, schema_editor):
    ReportPhoto = apps.get_model("safety", "ReportPhoto")
    for row in ReportPhoto.objects.exclude(original_name="").order_by("pk").iterator(BATCH):
        row.original = photo_files.photo_file_read(row.original_name)
        row.public_image = photo_files.photo_file_read(row.public_name)
        row.save(update_fields=["original", "public_image"])


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0005_mapcell_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportphoto",
            name="original_name",
            field=models.CharField(
                default="", editable=False, max_length=200, verbose_name="original"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="reportphoto",
            name="public_name",
            field=models.CharField(
                default="", editable=False, max_length=200, verbose_name="public copy"
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="reportphoto",
            name="original",
            field=models.BinaryField(default=b"", verbose_name="original"),
        ),
        migrations.AlterField(
            model_name="reportphoto",
            name="public_image",
            field=models.BinaryField(default=b"", verbose_name="public copy"),
        ),
        migrations.RunPython(photos_to_files, files_to_photos),
    ]
