from django.utils.translation import gettext_lazy as _

from busanhub import registry


def _panel_context(request) -> dict:
    from .auth import user_edits_everything
    from .models import Party
    from .selectors import recalls_in_force

    user = request.user
    manages = user.is_authenticated and (
        user_edits_everything(user) or Party.objects.filter(members=user).exists()
    )
    return {"recalls": list(recalls_in_force()[:3]), "manages_master_data": manages}


class LogisticsConfig(registry.ServiceConfig):
    name = "logistics"
    verbose_name = _("B-Fresh seafood traceability")
    service = registry.Service(
        slug="logistics",
        name=_("B-Fresh seafood traceability"),
        description=_(
            "Follow Busan seafood from the boat to the shop: catch, cold chain and recalls."
        ),
        url_name="logistics:home",
        order=50,
    )
    dashboard_panel = registry.DashboardPanel(
        slug="logistics",
        title=_("B-Fresh seafood"),
        template_name="logistics/_dashboard_panel.html",
        context=_panel_context,
        order=50,
    )
    demo_seeder = "logistics.demo.seed"
