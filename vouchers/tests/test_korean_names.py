"""Merchants and grant programmes have an English `name` and a Korean `name_ko`; pages show
the one of the reader's language (issue #18)."""

import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.utils import translation

from vouchers.demo import seed
from vouchers.models import GrantProgramme, Merchant, Payment
from vouchers.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    users = {
        "citizen": UserFactory(preferred_language="en"),
        "merchant": UserFactory(preferred_language="en"),
        "staff-vouchers": None,
    }
    seed(stdout=io.StringIO(), users=users)
    return users


def _client(user, language):
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_demo_keeps_the_languages_apart(demo):
    shop = Merchant.objects.get()
    assert (shop.name, shop.name_ko) == ("Jagalchi Eomuk", "자갈치 어묵")
    programme = GrantProgramme.objects.get()
    assert (programme.name, programme.name_ko) == ("Market support grant", "전통시장 응원 지원금")


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("ko", ["자갈치 어묵", "전통시장 응원 지원금"], ["Jagalchi", "Market support"]),
        ("en", ["Jagalchi Eomuk", "Market support grant"], ["자갈치", "전통시장"]),
    ],
)
def test_wallet_page_and_receipt_show_the_readers_language(demo, language, shown, hidden):
    client = _client(demo["citizen"], language)
    home = client.get("/vouchers/").content.decode()
    payment = Payment.objects.get()
    receipt = client.get(f"/vouchers/receipts/{payment.public_id}/").content.decode()
    for text in shown:
        assert text in home
    for text in hidden:
        assert text not in home
    assert shown[0] in receipt and hidden[0] not in receipt


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [("ko", "자갈치 어묵", "Jagalchi"), ("en", "Jagalchi", "자갈치")],
)
def test_merchant_pages_show_the_readers_language(demo, language, shown, hidden):
    client = _client(demo["merchant"], language)
    shop = Merchant.objects.get()
    for url in ("/vouchers/merchant/", f"/vouchers/merchant/{shop.code}/"):
        html = client.get(url, follow=True).content.decode()
        assert shown in html and hidden not in html, url


def test_str_follows_the_language(demo):
    shop = Merchant.objects.get()
    with translation.override("ko"):
        assert str(shop) == f"자갈치 어묵 ({shop.code})"
    with translation.override("en"):
        assert str(shop) == f"Jagalchi Eomuk ({shop.code})"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("자갈치 어묵 (Jagalchi Eomuk)", ("Jagalchi Eomuk", "자갈치 어묵")),
        (
            "Market support grant (전통시장 응원 지원금)",
            ("Market support grant", "전통시장 응원 지원금"),
        ),
        ("Jagalchi Eomuk", None),
        ("자갈치 어묵", None),
        ("Shop (Nampo branch)", None),
    ],
)
def test_the_data_migration_splits_a_bracketed_name(before, after):
    migration = importlib.import_module("vouchers.migrations.0010_korean_names")
    assert migration.split(before) == after


def test_the_data_migration_moves_existing_rows(demo):
    migration = importlib.import_module("vouchers.migrations.0010_korean_names")
    Merchant.objects.update(name="자갈치 어묵 (Jagalchi Eomuk)", name_ko="")
    GrantProgramme.objects.update(name="전통시장 응원 지원금 (Market support grant)", name_ko="")
    migration.split_names(django_apps, None)
    assert Merchant.objects.values_list("name", "name_ko").get() == (
        "Jagalchi Eomuk",
        "자갈치 어묵",
    )
    assert GrantProgramme.objects.values_list("name", "name_ko").get() == (
        "Market support grant",
        "전통시장 응원 지원금",
    )
