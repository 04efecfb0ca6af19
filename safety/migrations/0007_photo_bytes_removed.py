"""The photo rows' bytea columns, copied to files by 0006, are dropped."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0006_photo_files"),
    ]

    operations = [
        migrations.RemoveField(model_name="reportphoto", name="original"),
        migrations.RemoveField(model_name="reportphoto", name="public_image"),
    ]
