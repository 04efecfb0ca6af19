"""Group commit of placements (outside a transaction): a process's concurrent
placements go to the database as one statement, and each caller still gets its own answer.

The tests hold the group's lead while the threads queue up, then hand it on, so that what
forms a group is decided by the test and not by thread timing."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError

from busanhub.testing import run_threads
from exchange import selectors, services
from exchange.models import Order, OrderRequest
from exchange.services.orders import cancel as cancel_services
from exchange.services.orders import place as place_services
from exchange.tests.factories import ETH, kyc_user

pytestmark = pytest.mark.django_db(transaction=True)

PRICE = 3_000_000  # KRW per ETH
LOT = 10**6


@pytest.fixture(autouse=True)
def process_mode(settings):
    settings.EXCHANGE_MATCHING = "process"  # placement alone: the matcher does not run


def _queued(count: int, group=None):
    """Runs with the group's lead held (as if a leader were busy) until `count` tickets wait,
    then hands the lead to the first of them, as a finishing leader does."""
    group = group or place_services._group
    with group._lock:
        group._leading = True

    def release():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with group._lock:
                if len(group._waiting) == count:
                    group._waiting[0].lead = True
                    group._waiting[0].ready.release()
                    return
            time.sleep(0.005)
        with group._lock:  # the test fails on its own assertions; do not leave it stuck
            group._leading = False

    return threading.Thread(target=release)


def _place(user, market):
    return services.order_place(
        user=user, market=market, side="buy", price=PRICE, quantity=LOT * 10
    )


def test_waiting_placements_of_different_users_go_as_one_group_each_with_its_answer(market, fund):
    # Given ten users with 100,000 KRW each and one with only some ETH
    users = [kyc_user(email=f"g{n}@example.kr") for n in range(11)]
    for user in users[:10]:
        fund(user, market, krw=100_000, eth=ETH)
    fund(users[10], market, eth=ETH)
    # When the eleven place a 30,000 KRW buy while a leader is busy
    release = _queued(11)
    release.start()
    results = run_threads(11, lambda n: _place(users[n], market))
    release.join()
    # Then the ten are placed, the broke one is refused naming the field, alone
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if not isinstance(r, Order)]
    assert len(placed) == 10
    assert [r.message_dict for r in refused] == [{"quantity": ["Insufficient available balance."]}]
    assert isinstance(results[10], ValidationError)
    # ... in one group: one statement, one commit, one time
    assert {order.created_at for order in placed} == {placed[0].created_at}
    stored = {o.pk: o for o in Order.objects.all()}
    assert set(stored) == {order.pk for order in placed}
    for n, order in enumerate(results[:10]):
        assert stored[order.pk].owner_id == users[n].pk
        assert stored[order.pk].held_remaining == 30_000
        assert selectors.balances_for(user=users[n])["KRW"]["held"] == 30_000
    assert OrderRequest.objects.filter(action="place", seq=None).count() == 10
    assert not selectors.journal_unbalanced()
    assert selectors.ledger_matches_balances()


def test_an_owners_placements_go_in_separate_groups_and_never_overspend(market, fund):
    # Given alice who can afford two 30,000 KRW buys, and bob who can afford three
    alice, bob = kyc_user(email="alice@example.kr"), kyc_user(email="bob@example.kr")
    fund(alice, market, krw=60_000, eth=ETH)
    fund(bob, market, krw=90_000, eth=ETH)
    owners = [alice, alice, alice, bob, bob, bob]
    # When all six wait for a group at once
    release = _queued(6)
    release.start()
    results = run_threads(6, lambda n: _place(owners[n], market))
    release.join()
    # Then alice got two orders and one refusal, bob three orders, in three groups (an owner
    # is in a group once)
    alices = [r for r in results[:3] if isinstance(r, Order)]
    assert len(alices) == 2
    assert all(isinstance(r, Order) for r in results[3:])
    assert len({order.created_at for order in results if isinstance(order, Order)}) == 3
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 0,
        "held": 60_000,
        "frozen": False,
    }
    assert selectors.balances_for(user=bob)["KRW"]["held"] == 90_000
    assert selectors.ledger_matches_balances()


def test_a_group_that_fails_is_placed_again_one_by_one(market, fund, monkeypatch):
    # Given four funded users, and a database error for any group of more than one
    users = [kyc_user(email=f"f{n}@example.kr") for n in range(4)]
    for user in users:
        fund(user, market, krw=100_000, eth=ETH)
    real = place_services._place_rows
    groups = []

    def failing(tickets):
        groups.append(len(tickets))
        if len(tickets) > 1:
            raise RuntimeError("the group's statement failed")
        real(tickets)

    monkeypatch.setattr(place_services._group, "_run", failing)  # the group's statement
    monkeypatch.setattr(place_services, "_place_rows", failing)  # one placement's
    # When the four place at once
    release = _queued(4)
    release.start()
    results = run_threads(4, lambda n: _place(users[n], market))
    release.join()
    # Then the group failed and each was placed alone, by its own thread
    assert groups == [4, 1, 1, 1, 1]
    assert all(isinstance(r, Order) for r in results)
    assert Order.objects.count() == 4
    assert selectors.ledger_matches_balances()


def test_the_lead_passes_on_so_placements_keep_flowing(market, fund):
    # Given 24 users placing four orders each, with no help from the test
    users = [kyc_user(email=f"p{n}@example.kr") for n in range(24)]
    for user in users:
        fund(user, market, krw=200_000, eth=ETH)

    def four(n):
        return [_place(users[n], market) for _ in range(4)]

    # When they all place at once
    results = run_threads(24, four)
    # Then every order was placed and the group is idle again
    assert not [r for r in results if isinstance(r, Exception)]
    assert Order.objects.count() == 96
    group = place_services._group
    assert (group._leading, group._waiting) == (False, [])
    assert selectors.ledger_matches_balances()


def test_waiting_cancels_go_as_one_group_each_with_its_answer(market, fund):
    # Given five users with a resting order each
    users = [kyc_user(email=f"c{n}@example.kr") for n in range(5)]
    orders = []
    for user in users:
        fund(user, market, krw=100_000, eth=ETH)
        orders.append(_place(user, market))
    # When the first four cancel theirs and the fifth tries the first one's, all at once
    askers = [*users[:4], users[4]]
    targets = [*orders[:4], orders[0]]
    release = _queued(5, cancel_services._cancels)
    release.start()
    results = run_threads(5, lambda n: services.order_cancel(user=askers[n], order=targets[n]))
    release.join()
    # Then the four get their orders back and the fifth "No such order."
    assert [r.pk for r in results[:4]] == [o.pk for o in orders[:4]]
    assert results[4].message_dict == {"order": ["No such order."]}
    # ... and exactly the four cancel requests joined the log
    cancels = OrderRequest.objects.filter(action="cancel")
    assert sorted(cancels.values_list("order_id", flat=True)) == sorted(o.pk for o in orders[:4])
    assert len(set(cancels.values_list("created_at", flat=True))) == 1  # one statement
    group = cancel_services._cancels
    assert (group._leading, group._waiting) == (False, [])


def test_a_market_sells_notional_is_valued_at_the_best_resting_bid(market, fund):
    # Given three resting bids, the highest of them then cancelled
    buyer, seller = kyc_user(email="bidder@example.kr"), kyc_user(email="seller@example.kr")
    fund(buyer, market, krw=1_000_000)
    fund(seller, market, eth=ETH)
    bids = [
        services.order_place(user=buyer, market=market, side="buy", price=price, quantity=LOT * 10)
        for price in (2_990_000, 3_010_000, 3_000_000)
    ]
    services.order_cancel(user=buyer, order=bids[1])
    services.markets_match(market_pk=market.pk)
    # When the seller places a market sell of 10 lots (not matched yet)
    order = services.order_place(
        user=seller,
        market=market,
        side="sell",
        kind="market",
        time_in_force="IOC",
        quantity=LOT * 10,
    )
    # Then its notional, which the trading caps count, is at the best bid still resting
    assert order.notional == 3_000_000 * LOT * 10 // market.scale
    assert Order.objects.get(pk=order.pk).notional == order.notional
