"""The matcher's batch write: the anchor leaves of trades carry the chain's canonical digest,
and the netted journal entry keeps the ledger balanced. (The canonical JSON itself is tested
in busanhub/chain/tests/test_canonical.py.)"""

import pytest

from busanhub.chain.models import AnchorLeaf
from busanhub.chain.services import anchor_leaf_columns
from exchange import selectors, services
from exchange.models import JournalEntry, Posting, Trade
from exchange.tests.factories import ETH

PRICE = 3_000_000


@pytest.mark.django_db
def test_a_batch_writes_its_trades_leaves_and_one_netted_entry(market, alice, bob, fund):
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=2_000_000)
    entries = JournalEntry.objects.count()
    ask = services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH)
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    bid = services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 5)
    trades = list(Trade.objects.filter(taker_order=bid))
    assert [(t.maker_order_id, t.quantity, t.is_anchored) for t in trades] == [
        (ask.pk, ETH // 5, False)
    ]
    # The leaf stored is the one the chain's service would make, digest included
    leaf = AnchorLeaf.objects.get(kind="exchange.trades", ref=f"{market.symbol}:{bid.public_id}")
    expected = anchor_leaf_columns(
        kind=leaf.kind, ref=leaf.ref, version=1, data=leaf.envelope["data"], public=True
    )
    assert (leaf.digest, leaf.envelope, leaf.is_public) == (
        expected["digest"],
        expected["envelope"],
        True,
    )
    assert leaf.envelope["data"]["trades"][0] == {
        "id": str(trades[0].public_id),
        "price": str(PRICE),
        "quantity": str(ETH // 5),
        "takerSide": "buy",
        "maker": str(ask.public_id),
        "taker": str(bid.public_id),
    }
    # Every match entry posts each account and bucket once, and the ledger balances
    matches = JournalEntry.objects.filter(kind="match")
    assert matches.count() >= 1 and JournalEntry.objects.count() > entries
    for entry in matches:
        keys = list(Posting.objects.filter(entry=entry).values_list("account_id", "bucket"))
        assert len(keys) == len(set(keys))
    assert selectors.journal_unbalanced() == []
    assert selectors.ledger_matches_balances()
