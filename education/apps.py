from django.utils.translation import gettext_lazy as _

from busanhub import registry


def _panel_context(request) -> dict:
    from education import selectors

    return {"rows": selectors.my_learning_panel(user=request.user, limit=5)}


class EducationConfig(registry.ServiceConfig):
    name = "education"
    verbose_name = _("Blockchain education")
    service = registry.Service(
        slug="education",
        name=_("Blockchain education"),
        description=_(
            "Take blockchain courses from Busan's universities, try the chain in a sandbox lab "
            "and earn a certificate anyone can verify."
        ),
        url_name="education:home",
        order=60,
    )
    dashboard_panel = registry.DashboardPanel(
        slug="education",
        title=_("My learning"),
        template_name="education/_panel.html",
        context=_panel_context,
        order=60,
    )
    demo_seeder = "education.demo.seed"
    demo_seeder_order = 60

    def ready(self) -> None:
        super().ready()
        _content_signals_connect()


def _content_signals_connect() -> None:
    """The cached course content (education/content.py) starts a new generation on every write
    to the rows it is built from. A cache's invalidation, not domain logic: receivers catch the
    services, the admin's forms and inlines, and cascading deletes alike."""
    from django.db.models.signals import m2m_changed

    from education.content import CONTENT
    from education.models import Choice, Course, Lesson, Module, Question, University

    CONTENT.connect(University, Course, Module, Lesson, Question, Choice)
    m2m_changed.connect(
        CONTENT.changed,
        weak=False,
        sender=Course.prerequisites.through,
        dispatch_uid="education-content-prerequisites",
    )
