"""Rewards: a citizen whose report staff resolve as valid earns voucher points, once, within a
monthly cap; rejected and duplicate reports, anonymous and staff reports earn nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from busanhub.chain.models import AnchorLeaf
from safety import services
from safety.services.rewards import reporter_reward
from safety.tests.factories import CategoryFactory, StaffFactory, UserFactory, make_report
from vouchers import selectors as voucher_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def points(user) -> int:
    return voucher_selectors.wallet_balances(wallet=voucher_selectors.wallet_for(user=user))[
        "total"
    ]


def assert_ledger_balanced():
    totals = voucher_selectors.ledger_totals()
    assert totals["sum"] == 0
    assert totals["mismatched"] == [] and totals["unbalanced_transactions"] == 0


def resolve(report, staff=None):
    staff = staff or StaffFactory()
    services.report_transition(report=report, to_status="acknowledged", actor=staff)
    return services.report_transition(report=report, to_status="resolved", actor=staff)


def test_resolving_a_report_rewards_the_reporter_once():
    # Given a citizen's report
    citizen = UserFactory()
    report = make_report(reporter=citizen)
    # When staff resolve it
    update = resolve(report)
    # Then the citizen's wallet holds 1,000 KRW of points and the version records the amount
    assert update.reward == 1_000
    assert points(citizen) == 1_000
    assert list(report.updates.values_list("to_status", "reward")) == [
        ("submitted", 0),
        ("acknowledged", 0),
        ("resolved", 1_000),
    ]
    # And the anchored version holds the amount only, no personal data
    leaf = AnchorLeaf.objects.get(kind="safety.report", ref=str(report.public_id), version=3)
    assert leaf.envelope["data"]["reward"] == 1_000
    assert citizen.email not in str(leaf.envelope) and citizen.name not in str(leaf.envelope)
    ack = AnchorLeaf.objects.get(kind="safety.report", ref=str(report.public_id), version=2)
    assert "reward" not in ack.envelope["data"]
    # When the transition is attempted again, it is refused and nothing more is paid
    with pytest.raises(ValidationError):
        services.report_transition(report=report, to_status="resolved", actor=StaffFactory())
    # And re-running the reward itself (as a retry would) pays nothing either
    report.refresh_from_db()
    assert reporter_reward(report) == 1_000  # the same, already credited reward
    assert points(citizen) == 1_000
    assert voucher_selectors.ledger_totals()["transactions"] == 1
    assert_ledger_balanced()


@pytest.mark.parametrize("status", ["rejected", "duplicate"])
def test_rejected_or_duplicate_reports_earn_nothing(status):
    citizen = UserFactory()
    original = make_report()
    report = make_report(reporter=citizen, category=original.category)
    update = services.report_transition(
        report=report,
        to_status=status,
        actor=StaffFactory(),
        duplicate_of=original if status == "duplicate" else None,
    )
    assert update.reward == 0
    assert voucher_selectors.wallet_for(user=citizen) is None
    assert voucher_selectors.ledger_totals()["transactions"] == 0


def test_anonymous_and_staff_reports_earn_nothing():
    # Given a report without a reporter (anonymous or by a partner) and one a staff member filed
    category = CategoryFactory()
    anonymous = make_report(category=category)
    officer = StaffFactory()
    by_staff = make_report(category=category, reporter=officer)
    # When both are resolved
    assert resolve(anonymous).reward == 0
    assert resolve(by_staff).reward == 0
    # Then nobody is paid
    assert voucher_selectors.wallet_for(user=officer) is None
    assert voucher_selectors.ledger_totals()["transactions"] == 0


def test_monthly_cap_per_reporter(settings):
    # Given 4,000 points a report and a cap of 10,000 a month
    settings.SAFETY_REWARD_PER_REPORT = 4_000
    settings.SAFETY_REWARD_MONTHLY_CAP = 10_000
    citizen, neighbour = UserFactory(), UserFactory()
    category = CategoryFactory()
    staff = StaffFactory()
    # When four of the citizen's reports are resolved this month
    rewards = [
        resolve(make_report(category=category, reporter=citizen), staff).reward for _ in range(4)
    ]
    # Then the third is cut to what is left and the fourth earns nothing
    assert rewards == [4_000, 4_000, 2_000, 0]
    assert points(citizen) == 10_000
    # And another citizen has their own cap
    assert resolve(make_report(category=category, reporter=neighbour), staff).reward == 4_000
    assert_ledger_balanced()


def test_rewards_can_be_switched_off(settings):
    settings.SAFETY_REWARD_PER_REPORT = 0
    citizen = UserFactory()
    assert resolve(make_report(reporter=citizen)).reward == 0
    assert voucher_selectors.wallet_for(user=citizen) is None


def test_only_the_reporter_sees_the_reward_on_the_timeline(client):
    citizen = UserFactory(preferred_language="ko")
    report = make_report(reporter=citizen)
    resolve(report)
    url = reverse("safety:report-detail", kwargs={"public_id": report.public_id})

    client.force_login(citizen)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "1,000 포인트를 받았습니다" in page

    client.force_login(UserFactory())
    assert "포인트" not in client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
