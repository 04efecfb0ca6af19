import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection

from busanhub.chain.models import AnchorLeaf
from exchange import selectors, services
from exchange.models import JournalEntry, Market, Order, SurveillanceEvent, Trade
from exchange.tests.factories import ETH, UserFactory, kyc_user

pytestmark = pytest.mark.django_db(transaction=False)

PRICE = 3_000_000  # KRW per ETH
LOT = 10**6  # 0.001 ETH in gwei


def test_limit_order_rests_and_holds_the_quote(market, alice, fund):
    # Given Alice with 1,000,000 KRW
    fund(alice, market, krw=1_000_000)
    # When she bids 0.1 ETH at 3,000,000 KRW
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10
    )
    # Then the order rests and 300,000 KRW is held
    assert order.status == Order.Status.OPEN
    assert order.held_remaining == 300_000
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 700_000,
        "held": 300_000,
        "frozen": False,
    }
    assert selectors.book_depth(market=market) == {"bids": [[PRICE, ETH // 10]], "asks": []}


def test_match_moves_balances_and_fees_exactly(market, alice, bob, fund):
    # Given Alice selling 0.5 ETH at 3,000,000 and Bob with 2,000,000 KRW
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=2_000_000)
    ask = services.order_place(
        user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 2
    )
    # When Bob buys 0.2 ETH with a limit above the ask
    bid = services.order_place(
        user=bob, market=market, side="buy", price=PRICE + 1000, quantity=ETH // 5
    )
    # Then one trade at the maker's price: 600,000 KRW; fees maker 10 bp, taker 20 bp
    trade = Trade.objects.get()
    assert (trade.price, trade.quantity, trade.notional) == (PRICE, ETH // 5, 600_000)
    assert trade.maker_fee == 600  # Alice receives KRW, pays 10 bp of it
    assert trade.taker_fee == ETH // 5 * 20 // 10_000  # Bob receives ETH, pays 20 bp of it
    assert selectors.balances_for(user=alice) == {
        "ETH": {"available": ETH // 2, "held": ETH // 2 - ETH // 5, "frozen": False},
        "KRW": {"available": 599_400, "held": 0, "frozen": False},
    }
    assert selectors.balances_for(user=bob) == {
        "ETH": {"available": ETH // 5 - trade.taker_fee, "held": 0, "frozen": False},
        "KRW": {"available": 1_400_000, "held": 0, "frozen": False},
    }
    bid.refresh_from_db()
    ask.refresh_from_db()
    assert (bid.status, bid.held_remaining) == (Order.Status.FILLED, 0)
    assert (ask.status, ask.filled_quantity) == (Order.Status.PARTIALLY_FILLED, ETH // 5)
    # And the ledger balances: every entry sums to zero, every balance equals its postings
    assert selectors.journal_unbalanced() == []
    assert selectors.ledger_matches_balances()
    # And the trades of the match are anchored as one public record
    leaf = AnchorLeaf.objects.get(kind="exchange.trades")
    assert leaf.ref == f"ETH-KRW:{bid.public_id}"
    assert leaf.envelope["data"]["trades"][0]["id"] == str(trade.public_id)


def test_cancel_releases_the_hold(market, alice, fund):
    fund(alice, market, krw=1_000_000)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10
    )
    services.order_cancel(user=alice, order=order)
    order.refresh_from_db()
    assert (order.status, order.held_remaining) == (Order.Status.CANCELLED, 0)
    assert selectors.balances_for(user=alice)["KRW"]["available"] == 1_000_000
    assert selectors.book_depth(market=market) == {"bids": [], "asks": []}
    with pytest.raises(ValidationError) as error:
        services.order_cancel(user=alice, order=order)
    assert "order" in error.value.message_dict


def test_cancel_all_in_a_market(market, alice, fund):
    fund(alice, market, krw=1_000_000)
    for step in range(3):
        services.order_place(
            user=alice, market=market, side="buy", price=PRICE - step * 1000, quantity=ETH // 100
        )
    assert services.orders_cancel_all(user=alice, market=market) == 3
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 1_000_000,
        "held": 0,
        "frozen": False,
    }


def _snapshot(user):
    return (
        selectors.balances_for(user=user),
        Order.objects.count(),
        JournalEntry.objects.count(),
        Trade.objects.count(),
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"price": PRICE + 1, "quantity": ETH // 10}, "price"),
        ({"price": PRICE, "quantity": ETH // 10 + 1}, "quantity"),
        ({"price": 1000, "quantity": LOT}, "quantity"),  # 1 KRW < minimum notional 5,000
        ({"price": PRICE, "quantity": ETH}, "quantity"),  # 3,000,000 KRW > 1,000,000 available
        ({"price": PRICE, "quantity": ETH // 10, "time_in_force": "XYZ"}, "time_in_force"),
        ({"price": PRICE, "quantity": ETH // 10, "kind": "market"}, "price"),
    ],
)
def test_bad_orders_are_refused_and_change_nothing(market, alice, fund, kwargs, field):
    fund(alice, market, krw=1_000_000)
    before = _snapshot(alice)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=alice, market=market, side="buy", **kwargs)
    assert field in error.value.message_dict
    assert _snapshot(alice) == before


def test_halted_market_refuses_orders(market, alice, fund):
    fund(alice, market, krw=1_000_000)
    services.market_set_status(market=market, status=Market.Status.HALTED)
    before = _snapshot(alice)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=LOT * 10)
    assert error.value.message_dict == {"market": ["The market is not open for trading."]}
    assert _snapshot(alice) == before


def test_no_kyc_no_trading(market, fund):
    user = UserFactory()
    fund(user, market, krw=1_000_000)
    before = _snapshot(user)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=LOT * 10)
    assert error.value.message_dict == {
        "kyc": ["Trading needs a valid exchange KYC credential from B Pass."]
    }
    assert _snapshot(user) == before


@pytest.mark.parametrize("mode", ["inline", "process"])
def test_a_caller_not_signed_in_is_refused_as_without_kyc(market, settings, mode):
    # Given a visitor who is not signed in
    settings.EXCHANGE_MATCHING = mode
    orders = Order.objects.count()
    # When she places an order, Then it is refused as without KYC and nothing is written
    with pytest.raises(ValidationError) as error:
        services.order_place(
            user=AnonymousUser(), market=market, side="buy", price=PRICE, quantity=LOT * 10
        )
    assert error.value.message_dict == {
        "kyc": ["Trading needs a valid exchange KYC credential from B Pass."]
    }
    assert (Order.objects.count(), JournalEntry.objects.count()) == (orders, 0)


def test_over_the_kyc_trading_limit(market, fund):
    user = kyc_user(level=1)  # 5,000,000 KRW a day
    fund(user, market, krw=10_000_000)
    before = _snapshot(user)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=2 * ETH)
    assert error.value.message_dict == {
        "quantity": ["This order would pass your trading limit for your KYC level."]
    }
    assert _snapshot(user) == before


def test_duplicate_client_order_id(market, alice, fund):
    fund(alice, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=LOT * 10, client_order_id="c-1"
    )
    before = _snapshot(alice)
    with pytest.raises(ValidationError) as error:
        services.order_place(
            user=alice,
            market=market,
            side="buy",
            price=PRICE,
            quantity=LOT * 10,
            client_order_id="c-1",
        )
    assert "client_order_id" in error.value.message_dict
    assert _snapshot(alice) == before


def test_market_buy_by_quote_amount(market, alice, bob, fund):
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 10)
    services.order_place(
        user=alice, market=market, side="sell", price=PRICE + 1000, quantity=ETH // 10
    )
    # When Bob spends 400,000 KRW at market
    order = services.order_place(
        user=bob,
        market=market,
        side="buy",
        kind="market",
        time_in_force="IOC",
        quote_amount=400_000,
    )
    # Then he gets 0.1 ETH at 3,000,000 (300,000) + 0.033 ETH at 3,001,000 (99,033)
    assert [(t.price, t.quantity) for t in Trade.objects.order_by("pk")] == [
        (PRICE, ETH // 10),
        (PRICE + 1000, 33 * LOT),
    ]
    order.refresh_from_db()
    assert (order.status, order.filled_quote, order.held_remaining) == (
        Order.Status.FILLED,
        399_033,
        0,
    )
    assert selectors.balances_for(user=bob)["KRW"] == {
        "available": 600_967,
        "held": 0,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()


def test_market_sell_and_ioc_remainder_cancelled(market, alice, bob, fund):
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    order = services.order_place(
        user=alice,
        market=market,
        side="sell",
        kind="market",
        time_in_force="IOC",
        quantity=ETH // 5,
    )
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.cancel_reason) == (
        Order.Status.CANCELLED,
        ETH // 10,
        "unfilled",
    )
    assert selectors.balances_for(user=alice)["ETH"] == {
        "available": ETH - ETH // 10,
        "held": 0,
        "frozen": False,
    }


def test_self_trade_cancels_the_resting_order_and_is_recorded(market, alice, fund):
    fund(alice, market, krw=1_000_000, eth=ETH)
    resting = services.order_place(
        user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 10
    )
    services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    resting.refresh_from_db()
    assert (resting.status, resting.cancel_reason) == (Order.Status.CANCELLED, "self_trade")
    assert Trade.objects.count() == 0
    assert SurveillanceEvent.objects.get().kind == "self_trade"
    assert selectors.balances_for(user=alice)["ETH"] == {
        "available": ETH,
        "held": 0,
        "frozen": False,
    }


def test_post_only_that_would_take_is_rejected_and_releases(market, alice, bob, fund):
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 10)
    order = services.order_place(
        user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10, post_only=True
    )
    assert (order.status, order.cancel_reason) == (Order.Status.REJECTED, "post_only")
    assert selectors.balances_for(user=bob)["KRW"]["available"] == 1_000_000


def test_book_cache_survives_a_rolled_back_transaction(market, alice, bob, fund):
    # Given a resting ask, and a placement rolled back by its caller
    from django.db import transaction

    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 10)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10)
        raise RuntimeError("caller failed after the match")
    # When Bob buys again
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    # Then the ask was still there (the cache was rebuilt from the database)
    assert Trade.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_never_overdraw_the_book(market, alice, fund):
    # Given one ask of 0.1 ETH and eight buyers racing for 0.05 ETH each
    fund(alice, market, eth=ETH)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 10)
    buyers = [kyc_user() for _ in range(8)]
    for buyer in buyers:
        fund(buyer, market, krw=1_000_000)
    errors = []

    def buy(user):
        try:
            services.order_place(
                user=user,
                market=market,
                side="buy",
                kind="market",
                time_in_force="IOC",
                quantity=ETH // 20,
            )
        except ValidationError:
            pass  # not enough liquidity left
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly two fills, the ask is filled, nothing negative, the ledger balances
    assert errors == []
    assert Trade.objects.count() == 2
    assert sum(t.quantity for t in Trade.objects.all()) == ETH // 10
    assert selectors.balances_for(user=alice)["ETH"]["held"] == 0
    assert selectors.journal_unbalanced() == []
    assert selectors.ledger_matches_balances()


@pytest.mark.django_db(transaction=True)
def test_database_refuses_an_unbalanced_journal_entry(market, alice, fund):
    from django.db import IntegrityError, transaction

    from exchange.models import Account, Posting

    fund(alice, market, krw=1_000)
    account = Account.objects.get(owner=alice, asset=market.quote)
    before = JournalEntry.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        entry = JournalEntry.objects.create(kind="forged", reference="x")
        Posting.objects.create(
            entry=entry, account=account, asset=market.quote, bucket="available", amount=5
        )
    assert JournalEntry.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_database_refuses_statements_that_unbalance_a_stored_entry(market, alice, fund):
    """The guard sums what each statement wrote: a posting added to a balanced entry, an
    amount changed, a posting moved to another entry are refused; an update that keeps every
    entry's sum (a bucket changed) is not."""
    from django.db import IntegrityError, transaction

    from exchange.models import Account, Posting
    from exchange.services.ledger import AVAILABLE, HELD, entry_post

    fund(alice, market, krw=1_000)
    account = Account.objects.get(owner=alice, asset=market.quote)
    entries = [
        entry_post(
            kind="test", reference=str(n), lines=[(account, AVAILABLE, -n), (account, HELD, n)]
        )
        for n in (1, 2)
    ]
    first = Posting.objects.filter(entry=entries[0]).order_by("pk").first()
    stored = list(Posting.objects.order_by("pk").values_list("entry_id", "bucket", "amount"))
    refused = [
        lambda: Posting.objects.create(
            entry=entries[0], account=account, asset=market.quote, bucket=AVAILABLE, amount=5
        ),
        lambda: Posting.objects.filter(pk=first.pk).update(amount=7),
        lambda: Posting.objects.filter(pk=first.pk).update(entry=entries[1]),
    ]
    for statement in refused:
        with pytest.raises(IntegrityError), transaction.atomic():
            statement()
    assert list(Posting.objects.order_by("pk").values_list("entry_id", "bucket", "amount")) == (
        stored
    )
    Posting.objects.filter(pk=first.pk).update(bucket=HELD)
    assert selectors.journal_unbalanced() == []


def test_entry_post_refuses_an_unbalanced_entry(market, alice, fund):
    from exchange.models import Account
    from exchange.services.ledger import AVAILABLE, entry_post

    fund(alice, market, krw=1_000)
    account = Account.objects.get(owner=alice, asset=market.quote)
    before = JournalEntry.objects.count()
    with pytest.raises(ValueError):
        entry_post(kind="forged", reference="x", lines=[(account, AVAILABLE, 5)])
    assert JournalEntry.objects.count() == before
