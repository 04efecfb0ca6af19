from django.utils.translation import gettext_lazy as _

from busanhub import registry


def _panel_context(request) -> dict:
    from .auth import CAPTURE_GROUPS
    from .selectors import dashboard_panel_of, recalls_in_force

    user = request.user
    if not user.is_authenticated:
        return {"recalls": list(recalls_in_force()[:3]), "manages_master_data": False}
    # One statement: a capture group's member or a party's (user_edits_everything, members).
    member, recalls = dashboard_panel_of(user=user, groups=CAPTURE_GROUPS)
    return {"recalls": recalls, "manages_master_data": user.is_superuser or member}


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
