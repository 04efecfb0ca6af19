"""Rewards: points from the city treasury into a citizen's wallet, once per key, capped."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from busanhub.chain.models import AnchorLeaf
from vouchers import selectors, services
from vouchers.models import Account, JournalTransaction, Posting, Reward, Wallet
from vouchers.tests.factories import UserFactory, topped_up

pytestmark = pytest.mark.django_db


def balances(user):
    return selectors.wallet_balances(wallet=selectors.wallet_for(user=user))


def credit(user, key, amount=1_000, monthly_cap=None):
    return services.reward_credit(
        user=user,
        amount=amount,
        source="safety.report",
        reference=f"ref-{key}",
        idempotency_key=f"safety.report:{key}",
        monthly_cap=monthly_cap,
    )


def assert_ledger_balanced():
    assert Posting.objects.aggregate(total=Sum("amount"))["total"] in (0, None)
    for account in Account.objects.all():
        posted = account.postings.aggregate(total=Sum("amount"))["total"] or 0
        assert account.balance == posted


def test_reward_opens_the_wallet_and_credits_points_from_the_treasury(citizen):
    # Given a citizen without a wallet
    assert not Wallet.objects.filter(user=citizen).exists()
    # When they are rewarded
    reward = credit(citizen, "a")
    # Then the wallet exists and holds the points as cashback, paid by the treasury
    assert (reward.requested, reward.amount) == (1_000, 1_000)
    assert balances(citizen) == {"cash": 0, "cashback": 1_000, "grants": 0, "total": 1_000}
    entry = reward.journal
    assert entry.kind == JournalTransaction.Kind.REWARD
    assert sorted((p.account.kind, p.amount) for p in entry.postings.all()) == [
        ("cashback", 1_000),
        ("treasury", -1_000),
    ]
    # And the journal transaction is anchored with account ids and amounts only
    leaf = AnchorLeaf.objects.get(kind="vouchers.journal", ref=str(entry.public_id))
    assert leaf.digest == entry.digest
    assert leaf.envelope["data"]["postings"][0]["amount"] in (1_000, -1_000)
    assert citizen.email not in str(leaf.envelope)
    assert_ledger_balanced()


def test_the_same_key_pays_once(citizen):
    first = credit(citizen, "a")
    again = credit(citizen, "a")
    assert again.pk == first.pk
    assert Reward.objects.count() == 1
    assert JournalTransaction.objects.filter(kind="reward").count() == 1
    assert balances(citizen)["total"] == 1_000


def test_monthly_cap_cuts_the_reward_then_records_zero(citizen):
    credit(citizen, "a", amount=4_000, monthly_cap=5_000)
    cut = credit(citizen, "b", amount=4_000, monthly_cap=5_000)
    none_left = credit(citizen, "c", amount=4_000, monthly_cap=5_000)
    assert (cut.requested, cut.amount) == (4_000, 1_000)
    assert (none_left.amount, none_left.journal) == (0, None)
    assert balances(citizen)["total"] == 5_000
    # a re-run of the capped key still pays nothing
    assert credit(citizen, "c", amount=4_000, monthly_cap=5_000).amount == 0
    # other sources do not count against this source's cap
    other = services.reward_credit(
        user=citizen, amount=500, source="other", reference="x", idempotency_key="other:1"
    )
    assert other.amount == 500
    assert_ledger_balanced()


def test_holding_cap_credits_only_up_to_the_cap(citizen):
    # Given a wallet 300 KRW under the holding cap
    services.policy_publish(holding_cap=10_300)
    cap = 10_300
    topped_up(citizen, 10_000)
    # When rewarded 1,000
    reward = credit(citizen, "a")
    # Then only 300 are credited
    assert reward.amount == 300
    assert balances(citizen)["total"] == cap
    # And a full wallet gets a zero reward, nothing posted
    assert credit(citizen, "b").amount == 0
    assert JournalTransaction.objects.filter(kind="reward").count() == 1
    assert_ledger_balanced()


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_bad_amounts_are_refused_with_nothing_written(citizen, amount):
    with pytest.raises(ValidationError) as refused:
        credit(citizen, "a", amount=amount)
    assert "amount" in refused.value.message_dict
    assert not Reward.objects.exists() and not JournalTransaction.objects.exists()


def test_a_blank_key_is_refused(citizen):
    with pytest.raises(ValidationError):
        services.reward_credit(
            user=citizen, amount=100, source="safety.report", reference="x", idempotency_key=""
        )
    assert not Reward.objects.exists()


def test_frozen_wallet_still_receives_rewards(citizen):
    wallet = services.wallet_open(user=citizen)
    services.wallet_freeze(wallet=wallet, reason="investigation")
    assert credit(citizen, "a").amount == 1_000
    assert balances(citizen)["cashback"] == 1_000


def test_rewards_of_different_citizens_are_independent(citizen):
    other = UserFactory(email="jisoo@example.kr")
    credit(citizen, "a", monthly_cap=1_000)
    assert credit(other, "b", monthly_cap=1_000).amount == 1_000
    assert_ledger_balanced()
