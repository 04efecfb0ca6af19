"""The merchant dashboard lists today's refunds (not only their total), in Korean too."""

import pytest
from django.urls import reverse

from vouchers import services
from vouchers.tests.factories import topped_up

pytestmark = pytest.mark.django_db


def test_dashboard_lists_todays_refunds(client, resident, merchant):
    topped_up(resident, 20_000)
    payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=10_000)
    services.refund_create(payment=payment, amount=4_000, by=merchant.owner, reason="wrong size")
    client.force_login(merchant.owner)
    url = reverse("vouchers:merchant-dashboard", args=[merchant.code])
    page = client.get(url).content.decode()
    table = page[page.index('data-testid="today-refunds"') :]
    table = table[: table.index("</table>")]
    assert (
        '<td class="amount">4,000 KRW</td><td class="amount">400 KRW</td><td>wrong size</td>'
        in table
    )
    assert reverse("vouchers:receipt", args=[payment.public_id]) in table
    merchant.owner.preferred_language = "ko"
    merchant.owner.save(update_fields=["preferred_language"])
    client.logout()
    client.force_login(merchant.owner)
    korean = client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "오늘의 환불" in korean and "환수된 캐시백" in korean


def test_dashboard_without_refunds_says_so(client, merchant):
    client.force_login(merchant.owner)
    page = client.get(reverse("vouchers:merchant-dashboard", args=[merchant.code])).content.decode()
    assert "No refunds today." in page and 'data-testid="today-refunds"' not in page
