"""The platform's linked bank accounts get the platform's table name (a rename: rows, sequence
and foreign keys follow), and the content type moves with them so that the permissions granted
on it (staff-vouchers' view_banklink) stay granted."""

from django.db import migrations


def content_type_move(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="bank", model="banklink").exists():
        content_type.objects.filter(app_label="vouchers", model="banklink").update(app_label="bank")


def content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="vouchers", model="banklink").exists():
        content_type.objects.filter(app_label="bank", model="banklink").update(app_label="vouchers")


class Migration(migrations.Migration):
    dependencies = [
        ("bank", "0002_banklink_moved_from_vouchers"),
        ("vouchers", "0007_banklink_moved_to_platform"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="banklink", table=None),
        migrations.RunPython(content_type_move, content_type_back),
    ]
