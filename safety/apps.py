from django.utils.translation import gettext_lazy as _

from busanhub import registry


def dashboard_context(request) -> dict:
    from . import selectors

    if not request.user.is_authenticated:
        return {"reports": []}
    return {"reports": selectors.report_lines_of_user(user=request.user, limit=5)}


class SafetyConfig(registry.ServiceConfig):
    name = "safety"
    verbose_name = _("Citizen Safety Report")
    service = registry.Service(
        slug="safety",
        name=_("Citizen Safety Report"),
        description=_(
            "Report a hazard in the city with a photo and a place, and follow it until it is fixed."
        ),
        url_name="safety:home",
        order=40,
    )
    dashboard_panel = registry.DashboardPanel(
        slug="safety",
        title=_("My safety reports"),
        template_name="safety/_dashboard_panel.html",
        context=dashboard_context,
        order=40,
    )
    periodic_tasks = (
        # Nightly in Busan: photo files that no report names (a filing killed midway, a report
        # deleted in the admin) are removed; they carry positions and faces.
        registry.PeriodicTask(
            name="Safety: remove orphaned photo files",
            task="safety.tasks.photo_files_sweep",
            crontab=registry.Crontab(minute="40", hour="3"),
        ),
    )
    demo_seeder = "safety.seed.seed_demo"
    demo_seeder_order = 40

    def ready(self):
        super().ready()
        from . import catalogue

        catalogue.signals_connect()
