from django.utils.translation import gettext_lazy as _

from busanhub import registry


def _panel_context(request) -> dict:
    from . import selectors

    return {"balances": selectors.user_balances(user=request.user)}


class VouchersConfig(registry.ServiceConfig):
    name = "vouchers"
    verbose_name = _("Busan Digital Voucher")
    service = registry.Service(
        slug="vouchers",
        name=_("Busan Digital Voucher"),
        description=_(
            "Pay at local shops with the city's digital voucher, get cashback and receive "
            "city grants."
        ),
        url_name="vouchers:home",
        order=20,
    )
    dashboard_panel = registry.DashboardPanel(
        slug="vouchers",
        title=_("Busan Digital Voucher"),
        template_name="vouchers/_panel.html",
        context=_panel_context,
        order=20,
    )
    demo_seeder = "vouchers.demo.seed"
    demo_seeder_order = 30
    periodic_tasks = (
        # Daily, after midnight in Busan: the previous day settles, then expired grants return.
        registry.PeriodicTask(
            name="Vouchers: T+1 settlement and daily close",
            task="vouchers.tasks.settle_previous_day",
            crontab=registry.Crontab(minute="5", hour="1"),
        ),
        registry.PeriodicTask(
            name="Vouchers: reclaim expired grants",
            task="vouchers.tasks.reclaim_expired_grants",
            crontab=registry.Crontab(minute="5", hour="2"),
        ),
        registry.PeriodicTask(
            name="Vouchers: reconcile pending top-ups",
            task="vouchers.tasks.topups_reconcile",
            every_s=600,
        ),
        # Gifts held for an address nobody has verified yet: delivered, or returned after 30 days.
        registry.PeriodicTask(
            name="Vouchers: deliver held gifts",
            task="vouchers.tasks.gifts_deliver_pending",
            every_s=600,
        ),
    )
