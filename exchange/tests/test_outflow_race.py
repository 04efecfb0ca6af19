"""Money out of the exchange is one serialised decision per customer (issue 14 items 1, 3, 8):
concurrent withdrawals, on chain and to the bank, never pass the KYC cap together, and the KRW
paths answer cleanly (never a 500) under concurrent first use of a bank account."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from busanhub.bank.models import BankLink, SandboxTransfer
from busanhub.testing import run_threads
from exchange import selectors, services
from exchange.models import BankTransfer, ChainWithdrawal, JournalEntry
from exchange.services import deposit_credit
from exchange.tests.factories import ETH, fee_tiers, kyc_user, market_eth_krw, verified_link

pytestmark = pytest.mark.django_db(transaction=True)

TARGET = "0x000000000000000000000000000000000000dEaD"
PRICE = 1_000_000  # KRW per ETH: 0.2 ETH is worth 200,000 KRW


def _level_one_with_a_price(django_settings):
    """A KYC level-1 customer (1,000,000 KRW a day) holding 5 ETH and 2,000,000 KRW, with an
    allow-listed address, a proven bank link and a last ETH price of 1,000,000 KRW."""
    django_settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    fee_tiers()
    market = market_eth_krw()
    alice = kyc_user(level=1, email="alice@example.kr")
    bob = kyc_user(email="bob@example.kr")
    for user, asset, amount in ((alice, market.base, 5 * ETH), (bob, market.quote, 10**6)):
        deposit_credit(owner_id=user.pk, asset=asset, amount=amount, kind="t", reference="t")
    deposit_credit(owner_id=alice.pk, asset=market.quote, amount=2_000_000, kind="t", reference="t")
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 100)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 100)
    services.withdrawal_address_add(user=alice, address=TARGET)
    return alice, verified_link(alice)


def _outcome(result) -> str:
    if isinstance(result, ValidationError):
        return "limit" if "amount" in result.message_dict else repr(result.message_dict)
    if isinstance(result, Exception):
        return repr(result)
    return "ok"


def test_concurrent_chain_withdrawals_never_pass_the_daily_limit(settings):
    # Given a level-1 customer (1,000,000 KRW a day) and 0.2 ETH worth 200,000 KRW
    alice, _link = _level_one_with_a_price(settings)
    eth_before = selectors.balances_for(user=alice)["ETH"]["available"]

    # When she sends 10 withdrawals of 0.2 ETH at once
    results = run_threads(
        10,
        lambda n: services.withdrawal_request(
            user=alice, asset="ETH", address=TARGET, amount=ETH // 5
        ),
    )

    # Then exactly 5 (1,000,000 KRW) are held and approved; the other 5 are refused for the
    # limit and wrote nothing
    outcomes = [_outcome(r) for r in results]
    assert sorted(outcomes) == ["limit"] * 5 + ["ok"] * 5, outcomes
    assert ChainWithdrawal.objects.filter(owner=alice).count() == 5
    assert set(ChainWithdrawal.objects.values_list("status", flat=True)) == {"approved"}
    eth = selectors.balances_for(user=alice)["ETH"]
    assert eth["held"] == 5 * (ETH // 5)
    assert eth["available"] == eth_before - 5 * (ETH // 5)
    assert JournalEntry.objects.filter(kind="withdrawal_hold").count() == 5
    assert selectors.ledger_matches_balances()


def test_concurrent_krw_and_chain_withdrawals_share_one_limit(settings):
    # Given the same customer, who can take 1,000,000 KRW a day out in all
    alice, link = _level_one_with_a_price(settings)
    krw_before = selectors.balances_for(user=alice)["KRW"]["available"]

    # When she sends 5 chain withdrawals of 0.2 ETH and 5 KRW withdrawals of 200,000 at once
    def work(n):
        if n % 2:
            return services.krw_withdraw(user=alice, bank_link=link, amount=200_000)
        return services.withdrawal_request(user=alice, asset="ETH", address=TARGET, amount=ETH // 5)

    results = run_threads(10, work)

    # Then exactly 5 of them, whichever, pass: 1,000,000 KRW; the others change nothing
    outcomes = [_outcome(r) for r in results]
    assert sorted(outcomes) == ["limit"] * 5 + ["ok"] * 5, outcomes
    chain = ChainWithdrawal.objects.filter(owner=alice).count()
    bank = BankTransfer.objects.filter(owner=alice, direction="out").count()
    assert chain + bank == 5
    assert SandboxTransfer.objects.filter(direction="out", amount=200_000).count() == bank
    balances = selectors.balances_for(user=alice)
    assert balances["ETH"]["held"] == chain * (ETH // 5)
    assert balances["KRW"] == {
        "available": krw_before - bank * 200_000,
        "held": 0,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()


def test_concurrent_first_use_of_a_bank_account_answers_cleanly(settings):
    """Item 8: the link, deposit and withdrawal doors under concurrent first use answer 200/201
    or 400, never 500, and leave one link and whole transfers."""
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    fee_tiers()
    market_eth_krw()
    alice = kyc_user(email="alice@example.kr")
    account = {"bank_code": "032", "account_number": "1012-3456-7890"}

    # When six requests link the same new account at once
    def link(n):
        client = APIClient()
        client.force_authenticate(alice)
        return client.post("/api/v1/vouchers/bank-links/", account, format="json").status_code

    codes = run_threads(6, link)
    # Then every one answers, exactly one saying it linked the account (201), and one
    # verification transfer left
    assert sorted(codes) == [200] * 5 + [201], codes
    assert BankLink.objects.filter(user=alice).count() == 1
    assert SandboxTransfer.objects.filter(amount=1).count() == 1
    linked = verified_link(alice, bank_code="032", account_number="101234567890")

    # When six deposits, then six withdrawals, use it at once for the first time
    def move(path, amount):
        def work(n):
            client = APIClient()
            client.force_authenticate(alice)
            body = {"bank_link": str(linked.public_id), "amount": amount}
            return client.post(path, body, format="json").status_code

        return work

    # (The old door, a typed account_ref on first use, raced to a 500 IntegrityError: it is now
    # a plain 400 naming the field it lacks.)
    def typed(n):
        client = APIClient()
        client.force_authenticate(alice)
        body = {"account_ref": "088-110123456789", "amount": 1_000}
        response = client.post("/api/v1/exchange/krw/deposits/", body, format="json")
        return response.status_code, sorted(e["field"] for e in response.json()["errors"])

    assert run_threads(6, typed) == [(400, ["bank_link"])] * 6
    deposits = run_threads(6, move("/api/v1/exchange/krw/deposits/", 100_000))
    withdrawals = run_threads(6, move("/api/v1/exchange/krw/withdrawals/", 60_000))

    # Then all are accepted, each once, and the ledger balances
    assert deposits == [201] * 6 and withdrawals == [201] * 6, (deposits, withdrawals)
    assert BankTransfer.objects.filter(owner=alice, status="completed").count() == 12
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 600_000 - 360_000,
        "held": 0,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()
