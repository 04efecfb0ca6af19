"""Placement split from matching: the market's log, its one writer, trading caps that count
open orders, and races with real threads."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from exchange import selectors, services
from exchange.models import JournalEntry, Market, Order, OrderRequest, Trade
from exchange.services.matching import market_match_batch
from exchange.tests.factories import ETH, kyc_user

PRICE = 3_000_000
LOT = 10**6
Q = 10 * LOT  # 0.01 ETH: 30,000 KRW, above the minimum notional


def _snapshot(user):
    return (
        selectors.balances_for(user=user),
        Order.objects.count(),
        OrderRequest.objects.count(),
        JournalEntry.objects.count(),
    )


def _replay(market) -> list[tuple]:
    """The trades the pure engine gives on the market's log in sequence order."""
    return selectors.market_log_replay(market=market)[0]


def _trades():
    return list(
        Trade.objects.order_by("pk").values_list(
            "maker_order_id", "taker_order_id", "price", "quantity"
        )
    )


# --- trading caps count open orders -------------------------------------------------------


@pytest.mark.django_db
def test_open_orders_count_against_the_cap_and_a_cancel_frees_the_room(market, fund):
    # Given a level-1 user (5,000,000 KRW a day) with a resting bid worth 3,000,000 KRW
    user = kyc_user(level=1)
    fund(user, market, krw=10_000_000)
    first = services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    assert first.status == Order.Status.OPEN
    before = _snapshot(user)
    # When she bids another 3,000,000 KRW (nothing has filled yet)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    # Then it is refused naming the field, and nothing is held or written
    assert error.value.message_dict == {
        "quantity": ["This order would pass your trading limit for your KYC level."]
    }
    assert _snapshot(user) == before
    # And cancelling the first order frees the room
    services.order_cancel(user=user, order=first)
    second = services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    assert second.status == Order.Status.OPEN


@pytest.mark.django_db
def test_open_sells_count_against_the_cap_too(market, fund):
    user = kyc_user(level=1)
    fund(user, market, eth=3 * ETH)
    services.order_place(user=user, market=market, side="sell", price=PRICE, quantity=ETH)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="sell", price=PRICE, quantity=ETH)
    assert list(error.value.message_dict) == ["quantity"]
    assert selectors.balances_for(user=user)["ETH"]["held"] == ETH


@pytest.mark.django_db
def test_over_the_cap_through_the_api_is_400_naming_the_field(market, fund):
    from rest_framework.test import APIClient

    user = kyc_user(level=1)
    fund(user, market, krw=10_000_000)
    services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/exchange/orders/",
        {"market": "ETH-KRW", "side": "buy", "price": PRICE, "quantity": ETH},
        format="json",
    )
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("quantity", "over_limit")
    ]
    assert selectors.balances_for(user=user)["KRW"]["held"] == PRICE


# --- the log and its matcher ----------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_matcher_orders_wait_in_the_log_off_the_book(settings, market, alice, bob, fund):
    settings.EXCHANGE_MATCHING = "process"
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    ask = services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=Q)
    bid = services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=Q)
    # Accepted and held, but nobody matched them yet: not on the public book, no trade
    assert (ask.status, bid.status) == (Order.Status.PENDING, Order.Status.PENDING)
    assert selectors.balances_for(user=bob)["KRW"]["held"] == 30_000
    assert selectors.book_depth(market=market) == {"bids": [], "asks": []}
    assert Trade.objects.count() == 0
    # When the matcher drains the log
    assert services.markets_match(market_pk=market.pk) == 2
    # Then they trade in log order, the log is sequenced, a second drain takes nothing
    ask.refresh_from_db()
    bid.refresh_from_db()
    assert (ask.status, bid.status) == (Order.Status.FILLED, Order.Status.FILLED)
    assert list(OrderRequest.objects.order_by("seq").values_list("seq", "order_id")) == [
        (1, ask.pk),
        (2, bid.pk),
    ]
    assert services.markets_match(market_pk=market.pk) == 0
    assert _trades() == _replay(market)
    assert selectors.ledger_matches_balances()


@pytest.mark.django_db
def test_a_cancel_takes_its_place_in_the_log(settings, market, alice, bob, fund):
    # Given Alice's ask, her cancel, then Bob's bid, all waiting for the matcher
    settings.EXCHANGE_MATCHING = "process"
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    ask = services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=Q)
    assert services.order_cancel(user=alice, order=ask).status == Order.Status.PENDING
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=Q)
    services.markets_match(market_pk=market.pk)
    # Then the cancel came before the bid: no trade, Alice's hold is back
    ask.refresh_from_db()
    assert (ask.status, ask.cancel_reason, ask.held_remaining) == ("cancelled", "user", 0)
    assert Trade.objects.count() == 0
    assert selectors.balances_for(user=alice)["ETH"] == {
        "available": ETH,
        "held": 0,
        "frozen": False,
    }
    assert selectors.book_depth(market=market) == {"bids": [[PRICE, Q]], "asks": []}


@pytest.mark.django_db
def test_halting_cancels_waiting_orders_and_releases_them(settings, market, alice, fund):
    settings.EXCHANGE_MATCHING = "process"
    fund(alice, market, krw=1_000_000)
    order = services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=Q)
    services.market_set_status(market=market, status=Market.Status.HALTED)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "market_halted")
    assert selectors.balances_for(user=alice)["KRW"]["held"] == 0


@pytest.mark.django_db(transaction=True)
def test_queued_matching_runs_after_commit(settings, market, alice, bob, fund):
    from busanhub.celery import app as celery_app

    settings.EXCHANGE_MATCHING = "queue"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        fund(alice, market, eth=ETH)
        fund(bob, market, krw=1_000_000)
        services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=Q)
        bid = services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=Q)
    finally:
        celery_app.conf.task_always_eager = previous
    # The service answered `pending`; the task woken at commit matched it
    assert bid.status == Order.Status.PENDING
    bid.refresh_from_db()
    assert bid.status == Order.Status.FILLED
    assert Trade.objects.count() == 1
    assert not OrderRequest.objects.filter(seq__isnull=True).exists()


# --- races ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_matchers_on_one_market_never_write_at_once(settings, market, fund):
    settings.EXCHANGE_MATCHING = "process"
    # Given 60 crossing orders of four users waiting in the log
    users = [kyc_user() for _ in range(4)]
    for user in users:
        fund(user, market, krw=10_000_000, eth=ETH)
    for n in range(60):
        side = "buy" if n % 2 else "sell"
        price = PRICE + (n % 5 - 2) * 1000
        services.order_place(
            user=users[n % 4], market=market, side=side, price=price, quantity=(n % 7 + 2) * LOT
        )
    errors = []
    barrier = threading.Barrier(2)

    def drain():
        try:
            barrier.wait()
            # Small batches straight at the writer lock: the two threads interleave batches
            while market_match_batch(market_pk=market.pk, limit=4):
                pass
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Then every request was taken once, in one gapless sequence, and the trades are exactly
    # what one engine gives on that sequence
    assert errors == []
    assert sorted(OrderRequest.objects.values_list("seq", flat=True)) == list(range(1, 61))
    assert Market.objects.get(pk=market.pk).last_seq == 60
    assert Trade.objects.exists()
    assert _trades() == _replay(market)
    assert selectors.journal_unbalanced() == []
    assert selectors.ledger_matches_balances()


@pytest.mark.django_db(transaction=True)
def test_concurrent_placements_never_over_hold_one_balance(settings, market, fund):
    settings.EXCHANGE_MATCHING = "process"
    # Given 1,000,000 KRW and eight bids of 300,000 KRW racing for it
    user = kyc_user(level=3)
    fund(user, market, krw=1_000_000)
    barrier = threading.Barrier(8)
    outcomes, errors = [], []

    def bid(step):
        try:
            barrier.wait()
            services.order_place(
                user=user, market=market, side="buy", price=PRICE - step * 1000, quantity=ETH // 10
            )
            outcomes.append("placed")
        except ValidationError as exc:
            outcomes.append(list(exc.message_dict))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=bid, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Then three fit, five are refused for the balance, and the hold is exactly theirs
    assert errors == []
    assert outcomes.count("placed") == 3
    assert outcomes.count(["quantity"]) == 5
    held = sum(o.held_remaining for o in Order.objects.filter(owner=user))
    assert selectors.balances_for(user=user)["KRW"] == {
        "available": 1_000_000 - held,
        "held": held,
        "frozen": False,
    }
    orders = Order.objects.filter(owner=user)
    assert held == sum(o.price * o.quantity // market.scale for o in orders) <= 1_000_000
    assert selectors.ledger_matches_balances()
