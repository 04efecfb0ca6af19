"""Order placement's one-round-trip path: the same answers as before, refusals that change
nothing, the cap under concurrency, queries per placement."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from exchange import selectors, services
from exchange.models import Asset, JournalEntry, Market, Order, OrderRequest, Posting
from exchange.tests.factories import ETH, AssetFactory, kyc_user

pytestmark = pytest.mark.django_db(transaction=False)

PRICE = 3_000_000  # KRW per ETH
LOT = 10**6


def _snapshot(user):
    return (
        selectors.balances_for(user=user),
        Order.objects.count(),
        OrderRequest.objects.count(),
        JournalEntry.objects.count(),
        Posting.objects.count(),
    )


@pytest.fixture
def process_mode(settings):
    settings.EXCHANGE_MATCHING = "process"  # placement alone: the matcher does not run


def test_placement_writes_order_hold_and_log_entry(market, alice, fund, process_mode):
    # Given alice with 1,000,000 KRW
    fund(alice, market, krw=1_000_000)
    # When she places a limit buy of 0.1 ETH at 3,000,000
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10, client_order_id="a"
    )
    # Then the returned order is the stored one, pending, holding 300,000 KRW
    stored = Order.objects.get(pk=order.pk)
    assert (stored.public_id, stored.status, stored.held_remaining, stored.notional) == (
        order.public_id,
        Order.Status.PENDING,
        300_000,
        300_000,
    )
    assert (stored.client_order_id, stored.owner_id, stored.market_id) == ("a", alice.pk, market.pk)
    assert stored.created_at == order.created_at
    assert OrderRequest.objects.filter(order=stored, action="place", seq=None).count() == 1
    entry = JournalEntry.objects.get(kind="hold", reference=str(order.public_id))
    assert sorted(entry.postings.values_list("bucket", "amount")) == [
        ("available", -300_000),
        ("held", 300_000),
    ]
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 700_000,
        "held": 300_000,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()


def test_placement_is_few_queries(market, alice, fund, process_mode):
    fund(alice, market, krw=1_000_000, eth=ETH)
    services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=LOT * 10)
    with CaptureQueriesContext(connection) as queries:
        services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=LOT * 10)
    statements = [q["sql"] for q in queries.captured_queries]
    # one round trip, the lock and the write (the savepoint markers of the test's
    # transaction aside): no ORM object is loaded, no savepoint taken
    work = [sql for sql in statements if "SAVEPOINT" not in sql]
    assert len(work) == 1
    assert work[0].startswith("SELECT set_config('plan_cache_mode', 'force_generic_plan'")
    assert "; EXECUTE exchange_place_lock (" in work[0]
    assert "; EXECUTE exchange_place (" in work[0]


def test_duplicate_client_order_id_leaves_the_transaction_usable(market, alice, fund, process_mode):
    # Given an order with client order id "c-1"
    fund(alice, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=LOT * 10, client_order_id="c-1"
    )
    before = _snapshot(alice)
    # When a second one with the same id is placed inside the caller's transaction
    with transaction.atomic():
        with pytest.raises(ValidationError) as error:
            services.order_place(
                user=alice,
                market=market,
                side="buy",
                price=PRICE,
                quantity=LOT * 10,
                client_order_id="c-1",
            )
        # Then it is refused naming the field, nothing changed, and the transaction goes on
        assert error.value.message_dict == {
            "client_order_id": ["This client order id is already used."]
        }
        assert _snapshot(alice) == before
        other = services.order_place(
            user=alice,
            market=market,
            side="buy",
            price=PRICE,
            quantity=LOT * 10,
            client_order_id="c-2",
        )
    assert Order.objects.filter(pk=other.pk, client_order_id="c-2").exists()


def test_another_users_client_order_id_is_free(market, alice, bob, fund, process_mode):
    fund(alice, market, krw=1_000_000)
    fund(bob, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=LOT * 10, client_order_id="x"
    )
    order = services.order_place(
        user=bob, market=market, side="buy", price=PRICE, quantity=LOT * 10, client_order_id="x"
    )
    assert order.owner_id == bob.pk


def test_the_market_is_read_from_the_database(market, alice, fund, process_mode):
    # Given a Market instance that still says open while the market was halted
    fund(alice, market, krw=1_000_000)
    stale = Market.objects.get(pk=market.pk)
    Market.objects.filter(pk=market.pk).update(status=Market.Status.HALTED)
    before = _snapshot(alice)
    # When an order is placed with the stale instance, Then the halt decides
    with pytest.raises(ValidationError) as error:
        services.order_place(user=alice, market=stale, side="buy", price=PRICE, quantity=LOT * 10)
    assert "market" in error.value.message_dict
    assert _snapshot(alice) == before


def test_tick_size_is_read_from_the_database(market, alice, fund, process_mode):
    fund(alice, market, krw=1_000_000)
    stale = Market.objects.get(pk=market.pk)
    Market.objects.filter(pk=market.pk).update(tick_size=10_000)
    with pytest.raises(ValidationError) as error:
        services.order_place(
            user=alice, market=stale, side="buy", price=PRICE + 1_000, quantity=LOT * 10
        )
    assert "price" in error.value.message_dict


@pytest.mark.parametrize("level", [2.5, True, "3", None])
def test_only_integer_kyc_levels_count(market, fund, level, process_mode):
    from identity.selectors import credentials_for_holder

    # Given a user whose only KYC credential's stored claims hold a level that is not an
    # integer (identity refuses such claims at issue; the read must not trust that)
    user = kyc_user(level=2)
    credentials_for_holder(user=user).update(claims={"kycLevel": level})
    fund(user, market, krw=1_000_000)
    before = _snapshot(user)
    # Then she cannot trade
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=LOT * 10)
    assert "kyc" in error.value.message_dict
    assert _snapshot(user) == before


def test_the_highest_valid_kyc_level_sets_the_cap(market, fund, process_mode):
    from identity import services as identity_services

    # Given a level-3 credential beside a level-1 one (5,000,000 KRW a day at level 1)
    user = kyc_user(level=1)
    identity_services.credential_issue(
        issuer=identity_services.city_issuer(),
        subject_did=identity_services.wallet_open(user=user).did,
        types=["ExchangeKycCredential"],
        claims={"kycLevel": 3},
        holder=user,
    )
    fund(user, market, krw=20_000_000)
    # Then a 6,000,000 KRW order passes (level 3's cap)
    order = services.order_place(
        user=user, market=market, side="buy", price=PRICE, quantity=2 * ETH
    )
    assert order.notional == 6_000_000


def test_a_revoked_kyc_credential_stops_trading(market, alice, fund, process_mode):
    from identity.selectors import credentials_for_holder
    from identity.services import credential_revoke

    fund(alice, market, krw=1_000_000)
    services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=LOT * 10)
    for credential in credentials_for_holder(user=alice):
        credential_revoke(credential=credential, reason="test")
    before = _snapshot(alice)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=LOT * 10)
    assert "kyc" in error.value.message_dict
    assert _snapshot(alice) == before


def test_the_cap_counts_active_orders_and_a_cancel_frees_room(market, fund):
    # Given a level-1 user (5,000,000 KRW a day) with a resting buy of 3,000,000 KRW
    user = kyc_user(level=1)
    fund(user, market, krw=10_000_000)
    first = services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    before = _snapshot(user)
    # When she places another 3,000,000 KRW, Then the cap refuses it and nothing changes
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    assert error.value.message_dict == {
        "quantity": ["This order would pass your trading limit for your KYC level."]
    }
    assert _snapshot(user) == before
    # When the first is cancelled, Then the room is back
    services.order_cancel(user=user, order=first)
    services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)


def test_first_order_opens_the_accounts(market, process_mode):
    # Given a verified user with no exchange account at all
    user = kyc_user(level=2)
    # When she places a buy, Then the accounts exist and the balance is what refuses it
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=LOT * 10)
    assert error.value.message_dict == {"quantity": ["Insufficient available balance."]}


@pytest.mark.django_db(transaction=True)
def test_concurrent_placements_share_the_cap(market, fund, settings):
    settings.EXCHANGE_MATCHING = "process"
    # Given a level-1 user (5,000,000 KRW a day) and six racing orders of 2,000,000 KRW
    user = kyc_user(level=1)
    fund(user, market, krw=20_000_000)
    barrier = threading.Barrier(6)
    accepted, refused, errors = [], [], []

    def place():
        try:
            barrier.wait()
            accepted.append(
                services.order_place(
                    user=user, market=market, side="buy", price=2_000_000, quantity=ETH
                )
            )
        except ValidationError as exc:
            refused.append(exc.message_dict)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=place) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly two fit under the cap, the other four are refused by it
    assert errors == []
    assert len(accepted) == 2
    assert (
        refused
        == [{"quantity": ["This order would pass your trading limit for your KYC level."]}] * 4
    )
    assert selectors.balances_for(user=user)["KRW"] == {
        "available": 16_000_000,
        "held": 4_000_000,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()


def test_a_queued_cancel_is_one_statement_and_refusals_change_nothing(
    market, alice, bob, fund, process_mode
):
    # Given alice's resting buy (the matcher does not run: it stays pending)
    fund(alice, market, krw=1_000_000)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10
    )
    order = Order.objects.select_related("market").get(pk=order.pk)
    before = _snapshot(alice)
    # When bob cancels it, Then "No such order." and nothing is written
    with pytest.raises(ValidationError) as error:
        services.order_cancel(user=bob, order=order)
    assert error.value.message_dict == {"order": ["No such order."]}
    assert _snapshot(alice) == before
    # When alice cancels it, Then one cancel request joins the log and the order comes back
    # as it stands (still pending: the matcher has not taken the cancel)
    with CaptureQueriesContext(connection) as queries:
        cancelled = services.order_cancel(user=alice, order=order)
    assert cancelled.pk == order.pk and cancelled.status == Order.Status.PENDING
    assert cancelled.public_id == order.public_id and cancelled.notional == order.notional
    assert cancelled.market.symbol == market.symbol
    requests = OrderRequest.objects.filter(order=order).values_list("action", "seq")
    assert sorted(requests) == [("cancel", None), ("place", None)]
    work = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(work) == 1 and "; EXECUTE exchange_cancel (" in work[0]
    # When the order is no longer active, Then "not open any more" and nothing is written
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    before = _snapshot(alice)
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as error:
        services.order_cancel(user=alice, order=order)
    assert error.value.message_dict == {"order": ["The order is not open any more."]}
    assert _snapshot(alice) == before
    # the refusal is named from the same statement
    work = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(work) == 1 and "; EXECUTE exchange_cancel (" in work[0]


def test_the_cap_counts_only_krw_markets(market, fund, process_mode):
    # Given a level-1 user (5,000,000 KRW a day) with an active sell of 2 ETH in an ETH-USD
    # market, worth 6,000,000 USD units (not KRW: not capped, not counted)
    usd = AssetFactory(symbol="USD", name="US dollar", kind=Asset.Kind.FIAT, decimals=0)
    usd_market = Market.objects.create(
        symbol="ETH-USD",
        base=market.base,
        quote=usd,
        tick_size=1_000,
        lot_size=10**6,
        min_notional=5_000,
        status=Market.Status.OPEN,
    )
    user = kyc_user(level=1)
    fund(user, market, krw=10_000_000, eth=2 * ETH)
    services.deposit_credit(owner_id=user.pk, asset=usd, amount=1, kind="test", reference="t")
    services.order_place(user=user, market=usd_market, side="sell", price=PRICE, quantity=2 * ETH)
    # When she places a 3,000,000 KRW buy, Then it passes: only KRW orders count
    services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    # And a second one is refused (3,000,000 + 3,000,000 > 5,000,000)
    with pytest.raises(ValidationError) as error:
        services.order_place(user=user, market=market, side="buy", price=PRICE, quantity=ETH)
    assert error.value.message_dict == {
        "quantity": ["This order would pass your trading limit for your KYC level."]
    }
