from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "busanhub.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from busanhub import model_serializer_fields, throttling
        from busanhub.i18n import translate_derived_verbose_names

        translate_derived_verbose_names()
        model_serializer_fields.install()
        throttling.install()


class BusanAdminConfig(admin_apps.AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS so `admin.site` is the MFA-gated site."""

    default = False
    default_site = "busanhub.accounts.admin_site.BusanAdminSite"
