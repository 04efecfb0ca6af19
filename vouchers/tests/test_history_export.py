"""Issue #18 item 8 in the voucher wallet: grouped amounts, paginated history with counts, the
citizen's own history as CSV (only theirs, formula-safe), cashback rows named as cashback."""

import csv
import io

import pytest
from django.urls import reverse

from vouchers import services
from vouchers.models import Posting

from .factories import UserFactory, topped_up

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="voucher-history-')
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_history_csv_has_only_the_requesters_rows_and_names_cashback(client, resident, merchant):
    topped_up(resident, 120_000)
    services.payment_create(payer=resident, merchant_code=merchant.code, amount=109_200)
    other = UserFactory(email="other@example.kr")
    topped_up(other, 77_777)
    client.force_login(resident)

    rows = _csv(client.get(reverse("vouchers:history-csv")))

    assert len(rows) == Posting.objects.filter(account__wallet__user=resident).count()
    assert {row["amount_krw"] for row in rows} >= {"120000", "-109200"}
    assert "77777" not in {row["amount_krw"] for row in rows}
    cashback = [row for row in rows if row["account"] == "cashback"]
    assert [(row["entry"], row["description"]) for row in cashback] == [
        ("cashback_earned", "Cashback earned")
    ]
    assert int(cashback[0]["amount_krw"]) > 0
    assert all(row["digest"] == "" or row["digest"].startswith("0x") for row in rows)


def test_history_csv_of_someone_without_a_wallet_is_just_the_header(client):
    client.force_login(UserFactory())

    response = client.get(reverse("vouchers:history-csv"))

    assert response.content.decode().splitlines() == [
        "time,business_date,entry,description,account,amount_krw,digest"
    ]


def test_history_csv_needs_a_login(client):
    response = client.get(reverse("vouchers:history-csv"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_wallet_groups_amounts_labels_cashback_and_paginates(client, resident, merchant):
    topped_up(resident, 120_000)
    for _ in range(22):
        services.payment_create(payer=resident, merchant_code=merchant.code, amount=1_000)
    services.payment_create(payer=resident, merchant_code=merchant.code, amount=9_200)
    client.force_login(resident)

    page = client.get(reverse("vouchers:home")).content.decode()

    assert "9,200 KRW" in page
    assert "Cashback earned" in page
    postings = Posting.objects.filter(account__wallet__user=resident).count()
    assert f"1–20 of {postings}" in page  # the history
    assert postings > 20
    assert "1–10 of 23" in page  # the payments
    assert 'href="?payments_page=2"' in page
    second = client.get(reverse("vouchers:home"), {"page": "2", "payments_page": "2"})
    html = second.content.decode()
    assert f"21–{min(40, postings)} of {postings}" in html
    assert "11–20 of 23" in html


@pytest.mark.parametrize("page", ["x", "-1", "999", "1e9", "%00"])
def test_a_bad_page_number_is_never_an_error(client, resident, page):
    client.force_login(resident)

    assert client.get(reverse("vouchers:home"), {"page": page}).status_code == 200
    assert client.get(reverse("vouchers:topups"), {"page": page}).status_code == 200


def test_korean_amounts_read_with_won(client, resident, merchant):
    topped_up(resident, 120_000)
    resident.preferred_language = "ko"
    resident.save(update_fields=["preferred_language"])
    client.force_login(resident)

    page = client.get(reverse("vouchers:home"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert '<span data-testid="balance-total">120,000원</span>' in page
