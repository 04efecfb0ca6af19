"""The site's name in e-mails and pages is the portal's, not Django's "example.com"."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations

NAME = "부산허브 / BusanHub"


def name_site(apps, schema_editor):
    site_model = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "busanhub.example"
    site_model.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"name": NAME, "domain": domain}
    )


def unname_site(apps, schema_editor):
    site_model = apps.get_model("sites", "Site")
    site_model.objects.filter(pk=settings.SITE_ID, name=NAME).update(
        name="example.com", domain="example.com"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_site, unname_site)]
