"""Grants (CSV, eligible categories, reclaim) and T+1 settlement with its reports."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from busanhub.bank.models import SandboxTransfer
from busanhub.bank.sandbox import sandbox_fault_add
from busanhub.chain.models import AnchorLeaf
from vouchers import ledger, reports, selectors, services, tasks
from vouchers.models import Account, DailyClose, GrantAward, JournalTransaction, Settlement
from vouchers.tests.factories import UserFactory, approved_merchant, topped_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(db):
    return services.programme_create(
        name="Fishermen's relief",
        amount=30_000,
        eligible_categories=["traditional_market", "grocery"],
        valid_until=timezone.now() + timedelta(days=30),
    )


def balances(user):
    return selectors.wallet_balances(wallet=selectors.wallet_for(user=user))


def test_csv_upload_lands_grants_in_wallets(programme, citizen):
    other = UserFactory(email="jisoo@example.kr")
    awards = services.grants_award_csv(
        programme=programme, text="email,amount\nminji@example.kr,\nJISOO@example.kr,45000\n"
    )
    assert [a.amount for a in awards] == [30_000, 45_000]
    assert balances(citizen) == {"cash": 0, "cashback": 0, "grants": 30_000, "total": 30_000}
    assert balances(other)["grants"] == 45_000
    # a re-upload awards nobody twice
    assert services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n") == []
    assert GrantAward.objects.count() == 2


def test_csv_with_an_unknown_email_awards_nobody(programme, citizen):
    with pytest.raises(ValidationError) as refused:
        services.grants_award_csv(
            programme=programme, text="email\nminji@example.kr\nghost@example.kr\n"
        )
    assert refused.value.message_dict == {"file": ["Line 3: no BusanHub user has this email."]}
    assert not GrantAward.objects.exists() and balances(citizen)["grants"] == 0


def test_eligible_payment_draws_from_grants_first(programme, citizen, pool):
    market = approved_merchant(category="traditional_market")
    cafe = approved_merchant(category="cafe")
    services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    topped_up(citizen, 10_000)
    at_market = services.payment_create(payer=citizen, merchant_code=market.code, amount=35_000)
    assert (at_market.from_grants, at_market.from_cash) == (30_000, 5_000)
    # grants cannot pay where the programme does not allow
    at_cafe = services.payment_create(payer=citizen, merchant_code=cafe.code, amount=5_000)
    assert (at_cafe.from_grants, at_cafe.from_cash) == (0, 5_000)


def test_refund_gives_grant_money_back_to_the_grant(programme, citizen, pool):
    market = approved_merchant(category="grocery")
    services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=market.code, amount=35_000)
    services.refund_create(payment=payment, amount=35_000, by=market.owner)
    assert balances(citizen) == {"cash": 10_000, "cashback": 0, "grants": 30_000, "total": 40_000}


def test_grant_ineligible_merchant_and_expired_programme(programme, citizen, pool):
    services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    cafe = approved_merchant(category="cafe")
    with pytest.raises(ValidationError):
        services.payment_create(payer=citizen, merchant_code=cafe.code, amount=1_000)
    assert balances(citizen)["grants"] == 30_000


def test_expired_grants_are_reclaimed_to_the_programme_once(programme, citizen, pool):
    market = approved_merchant(category="grocery")
    services.grants_award_csv(programme=programme, text="email\nminji@example.kr\n")
    services.payment_create(payer=citizen, merchant_code=market.code, amount=10_000)
    programme.valid_until = timezone.now() - timedelta(seconds=1)
    programme.save(update_fields=["valid_until"])
    # when
    assert tasks.reclaim_expired_grants() == 20_000
    assert tasks.reclaim_expired_grants() == 0
    # then
    assert balances(citizen)["grants"] == 0
    assert programme.accounts.get(kind=Account.Kind.PROGRAMME).balance == 20_000
    with pytest.raises(ValidationError):
        services.payment_create(payer=citizen, merchant_code=market.code, amount=1)


def test_t_plus_one_settlement_pays_each_merchant_once_with_reports(citizen, merchant):
    topped_up(citizen, 50_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=20_000)
    services.refund_create(payment=payment, amount=5_000, by=merchant.owner)
    today = timezone.localdate()
    # when the T+1 task runs for today's business date (twice: idempotent)
    tasks.settle_previous_day(today.isoformat())
    tasks.settle_previous_day(today.isoformat())
    # then
    settlement = Settlement.objects.get(merchant=merchant)
    assert (settlement.gross, settlement.refunds, settlement.amount) == (20_000, 5_000, 15_000)
    services.settlement_pay(settlement_pk=settlement.pk)
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.PAID
    transfer = SandboxTransfer.objects.get(idempotency_key=settlement.bank_idempotency_key)
    assert (transfer.account_ref, transfer.amount) == (merchant.bank_account_ref, 15_000)
    assert selectors.merchant_balance(merchant=merchant) == 0
    assert services.system_account(Account.Kind.CLEARING).balance == 0
    csv_text = reports.settlement_csv(settlement=settlement)
    assert csv_text.splitlines()[0] == "time,type,payment,amount_krw,digest"
    assert len(csv_text.splitlines()) == 4  # header, payment, refund, total
    assert csv_text.splitlines()[-1].startswith(",total,,15000")
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(reports.settlement_xlsx(settlement=settlement))).active
    assert [cell.value for cell in sheet[1]] == ["time", "type", "payment", "amount_krw", "digest"]
    assert sheet.cell(row=4, column=4).value == 15_000
    close = DailyClose.objects.get(business_date=today)
    assert close.entries == JournalTransaction.objects.filter(business_date=today).count() - 1
    assert AnchorLeaf.objects.get(kind="vouchers.day", ref=today.isoformat()).is_public


def test_declined_settlement_keeps_the_money_in_clearing(citizen, merchant):
    topped_up(citizen, 5_000)
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=5_000)
    settlement = services.settlement_create(merchant=merchant, business_date=timezone.localdate())
    sandbox_fault_add(kind="decline", account_ref=merchant.bank_account_ref)
    assert services.settlement_pay(settlement_pk=settlement.pk).status == Settlement.Status.FAILED
    assert services.system_account(Account.Kind.CLEARING).balance == 5_000


def test_daily_close_digest_covers_the_days_entries(citizen):
    topped_up(citizen, 1_000)
    topped_up(citizen, 2_000)
    today = timezone.localdate()
    close = services.day_close(business_date=today)
    entries = JournalTransaction.objects.filter(business_date=today).order_by("pk")
    assert close.journal_digest == ledger.journal_digest(
        (str(e.public_id), e.digest) for e in entries
    )
    assert services.day_close(business_date=today) == close


def test_only_merchants_with_movements_that_day_are_settled(citizen, merchant):
    idle = approved_merchant()
    topped_up(citizen, 1_000)
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)
    settlements = services.settlements_run(business_date=timezone.localdate())
    assert [s.merchant for s in settlements] == [merchant]
    assert not Settlement.objects.filter(merchant=idle).exists()


def test_staff_create_a_programme_in_the_admin(client):
    from vouchers.models import GrantProgramme
    from vouchers.tests.factories import StaffFactory

    client.force_login(StaffFactory(roles=["staff-vouchers"]))
    valid_until = timezone.localtime() + timedelta(days=10)
    response = client.post(
        "/admin/vouchers/grantprogramme/add/",
        {
            "name": "Youth culture grant",
            "amount": 50_000,
            "eligible_categories": ["bookstore", "education"],
            "valid_until_0": valid_until.strftime("%Y-%m-%d"),
            "valid_until_1": valid_until.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302
    programme = GrantProgramme.objects.get()
    assert programme.eligible_categories == ["bookstore", "education"]
    assert programme.accounts.get().kind == Account.Kind.PROGRAMME
    assert AnchorLeaf.objects.filter(kind="vouchers.grant_programme").count() == 1
