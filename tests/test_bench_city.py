"""bench/city.py's seeding, at tiny counts: it makes what it says, through the services, so the
city benchmark and the load test built on it cannot rot unnoticed."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from bench import city
from busanhub.accounts.models import User
from busanhub.chain.models import AnchorLeaf
from education.models import Course, Enrollment
from exchange.models import Account as ExchangeAccount
from exchange.models import Order, OrderRequest
from identity import credential_types as ct
from identity import selectors as identity_selectors
from identity.models import Credential, StatusList
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
    # and the matcher took every order: they rest on the book, none waits in the log
    assert Order.objects.filter(status=Order.Status.OPEN).count() == counts.orders
    assert not OrderRequest.objects.filter(seq__isnull=True).exists()
    traders = Credential.objects.filter(credential_type=ct.EXCHANGE_KYC)
    assert traders.values("holder").distinct().count() == counts.traders
    # and the planner's statistics count the traders' accounts, analysed before their orders
    # were planned (on the empty tables' statistics, 100,000 orders went 15 times slower)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'exchange_account'")
        assert cursor.fetchone()[0] == ExchangeAccount.objects.count()
    assert Lot.objects.count() == counts.lots
    assert Event.objects.count() == counts.lots * counts.events_per_lot
    assert Course.objects.filter(is_published=True).count() == counts.courses
    assert 0 < Enrollment.objects.count() <= counts.enrolments
    # and every record was anchored through the outbox
    assert AnchorLeaf.objects.filter(kind__startswith="identity").count() >= 20
    assert seeded.timings["citizens"][0] == 20


def test_a_city_bigger_than_one_status_list_is_seeded_across_the_next_lists(settings):
    # Given status lists that hand out 8 entries each (the real ones 131,072), and a city of
    # 20 citizens, a merchant and 4 traders: 25 credentials, more than three lists' worth
    settings.IDENTITY_STATUS_LIST_CAPACITY = 8
    counts = city.Counts(
        citizens=20,
        merchants=1,
        payments=0,
        reports=0,
        traders=4,
        orders=0,
        lots=0,
        events_per_lot=0,
        courses=0,
        enrolments=0,
    )

    # When the city is seeded
    seeded = city.seed_city(counts=counts, prefix="wide")

    # Then every citizen, merchant and trader has a credential, lists 1 to 3 full and one
    # entry on list 4, no entry twice, each index within its list, and they verify
    assert seeded.timings["citizens"][0] == 20
    issued = Credential.objects.filter(holder__email__startswith="wide-")
    entries = list(issued.values_list("status_list_number", "status_index"))
    assert len(entries) == 25
    assert len(set(entries)) == 25
    assert sorted(number for number, _index in entries) == [1] * 8 + [2] * 8 + [3] * 8 + [4]
    assert all(0 <= index < 8 for _number, index in entries)
    assert StatusList.objects.filter(number=4).count() == 2
    for credential in issued.filter(status_list_number__gte=2)[:3]:
        assert identity_selectors.credential_verification(credential.document)["verified"]


def test_a_citys_events_are_all_in_the_past_however_many(monkeypatch):
    # Given a clock ten minutes after 1 November 2026 00:00 UTC, the first event's time of a
    # small city, and 40 events a minute apart at most (about 20 minutes of them)
    import datetime

    from django.utils import timezone

    moment = datetime.datetime(2026, 11, 1, 0, 10, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    counts = city.Counts(
        citizens=1,
        merchants=0,
        payments=0,
        reports=0,
        traders=0,
        orders=0,
        lots=4,
        events_per_lot=10,
        courses=0,
        enrolments=0,
    )

    # When the city is seeded
    seeded = city.seed_city(counts=counts, prefix="past")

    # Then capture took every event (it refuses an event in the future), none after the clock
    assert seeded.timings["epcis"][0] == 40
    assert Event.objects.count() == 40
    assert not Event.objects.filter(event_time__gt=moment).exists()


def _reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def _users(prefix: str, count: int) -> None:
    User.objects.bulk_create(
        [User(email=f"{prefix}-{n}@grow.bench", name="Grown", password="!") for n in range(count)]
    )


@pytest.mark.django_db(transaction=True)
def test_a_phase_analyses_its_tables_after_its_first_job_and_when_they_grow_four_fold():
    # Given 200 users written by a phase's first job, on a table whose statistics do not
    # count them (its counters reset: what a test before this one did is forgotten)
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_reset_single_table_counters(%s::regclass)", [table])
    _users("first", 200)
    assert _reltuples(table) < 50

    # When the phase checks after that job
    analysed = city.analyze_grown()

    # Then the table was analysed: its statistics count the 200
    assert f"public.{table}" in analysed
    assert _reltuples(table) == 200

    # When it has grown to 700 (< 4 x 200) and the phase checks again
    _users("second", 500)
    analysed = city.analyze_grown()

    # Then it was left alone (its statistics still say 200)
    assert f"public.{table}" not in analysed
    assert _reltuples(table) == 200

    # When it has grown to 800 (4 x 200)
    _users("third", 100)
    analysed = city.analyze_grown()

    # Then it is analysed again
    assert f"public.{table}" in analysed
    assert _reltuples(table) == 800


@pytest.mark.django_db(transaction=True)
def test_a_seeding_phase_analyses_what_it_wrote_in_its_own_code():
    # Given a city's catalogue and 20 citizens (that phase ends with ANALYZE), no report yet
    # (and the citizens' role, which a transactional test's flush took with the migrations'
    # rows)
    import random

    Group.objects.get_or_create(name="citizen")
    city.catalogue("grow")
    city.citizens_seed(prefix="grow", count=20, workers=1, suite="eddsa-jcs-2022")
    assert _reltuples(Report._meta.db_table) == 0

    # When the reports phase runs alone (jobs of JOB reports, one process)
    city.reports_seed(prefix="grow", count=60, total=20, rng=random.Random(7))

    # Then the planner's statistics count the reports it filed: the phase analysed them
    assert _reltuples(Report._meta.db_table) == Report.objects.count() == 60
