from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VouchersConfig(AppConfig):
    name = "vouchers"
    verbose_name = _("Busan Digital Voucher")

    def ready(self) -> None:
        from busanhub import registry

        registry.register_service(
            registry.Service(slug="vouchers", name=_("Busan Digital Voucher"), url_name="vouchers:home", order=20)
        )
