"""bench/city.py's seeding, at tiny counts: it makes what it says, through the services, so the
city benchmark and the load test built on it cannot rot unnoticed."""

import pytest

from bench import city
from busanhub.accounts.models import User
from busanhub.chain.models import AnchorLeaf
from education.models import Course, Enrollment
from exchange.models import Order
from identity import credential_types as ct
from identity import selectors as identity_selectors
from identity.models import Credential
from identity.models import Wallet as IdentityWallet
from logistics.models import Event, Lot
from safety.models import Report
from vouchers.models import Account, Merchant, Payment
from vouchers.models import Wallet as VoucherWallet

pytestmark = pytest.mark.django_db


def test_a_tiny_city_is_seeded_through_the_services():
    # Given the default tiny counts
    counts = city.Counts()

    # When the city is seeded
    seeded = city.seed_city(counts=counts, prefix="tiny")

    # Then there are 20 citizens, each with a B Pass wallet, a resident credential that
    # verifies, and a topped-up voucher wallet
    citizens = User.objects.filter(email__startswith="tiny-c", groups__name="citizen")
    assert citizens.count() == 20
    assert IdentityWallet.objects.filter(user__in=citizens).count() == 20
    residents = Credential.objects.filter(holder__in=citizens, credential_type=ct.RESIDENT)
    assert residents.values("holder").distinct().count() == 20
    for credential in residents[:3]:
        assert identity_selectors.credential_verification(credential.document)["verified"]
    cash = Account.objects.filter(wallet__user__in=citizens, kind=Account.Kind.CASH)
    assert VoucherWallet.objects.filter(user__in=citizens).count() == 20
    assert cash.count() == 20
    cashback = Account.objects.filter(wallet__user__in=citizens, kind=Account.Kind.CASHBACK)
    assert cashback.count() == 20
    # and every resident credential holds its own status list entry
    indexes = list(residents.values_list("status_index", flat=True))
    assert None not in indexes
    assert len(set(indexes)) == 20
    # and the other kinds, each as many as asked
    assert Merchant.objects.filter(code__in=seeded.merchant_codes, status="approved").count() == 3
    assert Payment.objects.count() == counts.payments
    assert Report.objects.count() == counts.reports
    assert Order.objects.count() == counts.orders
    assert Lot.objects.count() == counts.lots
    assert Event.objects.count() == counts.lots * counts.events_per_lot
    assert Course.objects.filter(is_published=True).count() == counts.courses
    assert 0 < Enrollment.objects.count() <= counts.enrolments
    # and every record was anchored through the outbox
    assert AnchorLeaf.objects.filter(kind__startswith="identity").count() >= 20
    assert seeded.timings["citizens"][0] == 20


def test_a_city_bigger_than_the_status_lists_is_refused_before_anything_is_written():
    # Given more citizens than the city issuer's status lists have entries
    counts = city.Counts(citizens=131_072)

    # When the city is seeded
    with pytest.raises(SystemExit):
        city.seed_city(counts=counts, prefix="huge")

    # Then nobody was made
    assert not User.objects.filter(email__startswith="huge-").exists()
    assert not IdentityWallet.objects.exists()
