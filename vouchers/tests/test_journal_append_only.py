"""The vouchers journal is append-only (migration 0009): a DELETE of postings is refused; the
deferred balance guard, should the append-only trigger ever be disabled, refuses at COMMIT a
DELETE that leaves a journal transaction unbalanced."""

import pytest
from django.db import IntegrityError, connection, transaction

from vouchers.models import Posting
from vouchers.tests.factories import UserFactory, topped_up

pytestmark = pytest.mark.django_db(transaction=True)


def _postings():
    return list(Posting.objects.order_by("pk").values_list("pk", "transaction_id", "amount"))


@pytest.fixture
def entry():
    return topped_up(UserFactory(), 10_000).journal


def test_a_delete_of_one_posting_is_refused(entry):
    # Given a top-up's balanced journal transaction (bank -, cash +)
    stored = _postings()
    one = Posting.objects.filter(transaction=entry).order_by("pk").first()
    # When one posting is deleted, or the whole transaction's
    for delete in (
        lambda: Posting.objects.filter(pk=one.pk).delete(),
        lambda: Posting.objects.filter(transaction=entry).delete(),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            delete()
    # Then nothing changed
    assert _postings() == stored


def test_with_deletes_let_through_the_balance_guard_refuses_a_partial_delete(entry):
    stored = _postings()
    one = Posting.objects.filter(transaction=entry).order_by("pk").first()
    with pytest.raises(IntegrityError, match="does not sum to zero"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE vouchers_posting DISABLE TRIGGER vouchers_posting_append_only"
            )
        Posting.objects.filter(pk=one.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred guard, now
    assert _postings() == stored
    # A whole transaction removed leaves every one balanced (rolled back here all the same).
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE vouchers_posting DISABLE TRIGGER vouchers_posting_append_only"
            )
        assert Posting.objects.filter(transaction=entry).delete()[0] == 2
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # passes: nothing left unbalanced
        transaction.set_rollback(True)
    assert _postings() == stored
