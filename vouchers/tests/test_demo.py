import io

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from busanhub import registry
from vouchers import selectors
from vouchers.demo import seed
from vouchers.models import GrantAward, Merchant, Payment
from vouchers.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent():
    users = {"citizen": UserFactory(), "merchant": UserFactory(), "staff-vouchers": None}
    seed(stdout=io.StringIO(), users=users)
    seed(stdout=io.StringIO(), users=users)
    assert Merchant.objects.get().status == Merchant.Status.APPROVED
    assert Payment.objects.count() == 1 and GrantAward.objects.count() == 1
    balances = selectors.wallet_balances(wallet=selectors.wallet_for(user=users["citizen"]))
    assert balances == {"cash": 88_000, "cashback": 0, "grants": 20_000, "total": 108_000}
    assert registry.demo_seeders().count(seed) == 1


def test_dashboard_panel_shows_the_balance(citizen):
    from vouchers.tests.factories import topped_up

    topped_up(citizen, 4_000)
    panel = next(p for p in registry.dashboard_panels() if p.slug == "vouchers")
    request = RequestFactory().get("/me/")
    request.user = citizen
    html = render_to_string(panel.template_name, panel.context(request))
    assert "<strong>4,000 KRW</strong>" in html


def test_the_pages_one_query_reads_agree_with_the_selectors_they_replace(
    django_assert_num_queries,
):
    # Given the demo citizen: cash, spent cash and a grant
    users = {"citizen": UserFactory(), "merchant": UserFactory(), "staff-vouchers": None}
    seed(stdout=io.StringIO(), users=users)
    citizen = users["citizen"]
    wallet = selectors.wallet_for(user=citizen)

    # Then the /me/ panel's and the wallet page's single queries give the same figures
    with django_assert_num_queries(1):
        panel = selectors.user_balances(user=citizen)
    selectors.wallet_overview(wallet=wallet)  # its statement is prepared once per connection
    with django_assert_num_queries(1):
        balances, grants = selectors.wallet_overview(wallet=wallet)
    assert panel == balances == selectors.wallet_balances(wallet=wallet)
    assert balances == {"cash": 88_000, "cashback": 0, "grants": 20_000, "total": 108_000}
    assert [a.pk for a in grants] == [a.pk for a in selectors.wallet_grants(wallet=wallet)]
    assert len(grants) == 1 and grants[0].programme is not None
    # And a citizen without a wallet reads zeros
    nobody = UserFactory()
    empty = {"cash": 0, "cashback": 0, "grants": 0, "total": 0}
    assert selectors.user_balances(user=nobody) == empty
    assert selectors.wallet_overview(wallet=None) == (empty, [])
