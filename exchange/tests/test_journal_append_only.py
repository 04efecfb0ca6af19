"""The exchange journal is append-only (migration 0014): a DELETE of postings is refused; the
balance guard, should the append-only trigger ever be disabled, refuses a DELETE that leaves
an entry unbalanced."""

import pytest
from django.db import IntegrityError, connection, transaction

from exchange import selectors
from exchange.models import Account, Posting
from exchange.services.ledger import AVAILABLE, HELD, entry_post

pytestmark = pytest.mark.django_db(transaction=True)


def _postings():
    return list(Posting.objects.order_by("pk").values_list("pk", "entry_id", "bucket", "amount"))


@pytest.fixture
def entry(market, alice, fund):
    fund(alice, market, krw=1_000)
    account = Account.objects.get(owner=alice, asset=market.quote)
    return entry_post(
        kind="test", reference="1", lines=[(account, AVAILABLE, -3), (account, HELD, 3)]
    )


def test_a_delete_of_one_posting_is_refused(entry):
    # Given a balanced entry of two postings
    stored = _postings()
    one = Posting.objects.filter(entry=entry).order_by("pk").first()
    # When one of them is deleted, or the whole entry's
    for delete in (
        lambda: Posting.objects.filter(pk=one.pk).delete(),
        lambda: Posting.objects.filter(entry=entry).delete(),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            delete()
    # Then nothing changed
    assert _postings() == stored
    assert selectors.journal_unbalanced() == []


def test_with_deletes_let_through_the_balance_guard_refuses_a_partial_delete(entry):
    stored = _postings()
    one = Posting.objects.filter(entry=entry).order_by("pk").first()
    with pytest.raises(IntegrityError, match="does not sum to zero"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE exchange_posting DISABLE TRIGGER exchange_posting_append_only"
            )
        Posting.objects.filter(pk=one.pk).delete()
    assert _postings() == stored
    # A whole entry removed leaves every entry balanced (rolled back here all the same).
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE exchange_posting DISABLE TRIGGER exchange_posting_append_only"
            )
        assert Posting.objects.filter(entry=entry).delete()[0] == 2
        transaction.set_rollback(True)
    assert _postings() == stored
