from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _did_of(user) -> str | None:
    from identity.models import Wallet

    return Wallet.objects.filter(user=user).values_list("did", flat=True).first()


def _panel_context(request) -> dict:
    from identity.models import Credential

    count = Credential.objects.filter(holder=request.user, status=Credential.Status.ACTIVE).count()
    return {"count": count}


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("B Pass")

    def ready(self) -> None:
        from busanhub import registry
        from identity.demo import seed_demo

        registry.register_service(
            registry.Service(
                slug="identity", name=_("B Pass"), url_name="identity:wallet", order=10
            )
        )
        registry.register_dashboard_panel(
            registry.DashboardPanel(
                slug="identity",
                title=_("B Pass"),
                template_name="identity/_panel.html",
                context=_panel_context,
                order=10,
            )
        )
        registry.register_demo_seeder("identity", seed_demo, order=10)
        registry.register_profile_item(
            registry.ProfileItem(slug="identity-did", label=_("B Pass DID"), value=_did_of)
        )
