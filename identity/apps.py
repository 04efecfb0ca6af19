from django.utils.translation import gettext_lazy as _

from busanhub import registry


def _did_of(user) -> str | None:
    from identity.models import Wallet

    return Wallet.objects.filter(user=user).values_list("did", flat=True).first()


def _panel_context(request) -> dict:
    from identity.selectors import credentials_active_count

    return {"count": credentials_active_count(user=request.user)}


class IdentityConfig(registry.ServiceConfig):
    name = "identity"
    verbose_name = _("B Pass")
    service = registry.Service(
        slug="identity",
        name=_("B Pass"),
        description=_(
            "Your mobile digital ID: keep verified credentials and show only what a service "
            "needs to know."
        ),
        url_name="identity:wallet",
        order=10,
    )
    dashboard_panel = registry.DashboardPanel(
        slug="identity",
        title=_("B Pass"),
        template_name="identity/_panel.html",
        context=_panel_context,
        order=10,
    )
    profile_items = (
        registry.ProfileItem(slug="identity-did", label=_("B Pass DID"), value=_did_of),
    )
    demo_seeder = "identity.demo.seed_demo"
    demo_seeder_order = 10
