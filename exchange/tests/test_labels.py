"""Words of the exchange that reach staff and customers in Korean: the admin's model names, the
traded-volume spans, and the chart's candle count (a plural, from the scripts' catalogue)."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from busanhub.accounts.models import User
from exchange.models import ChainWithdrawal, TradedVolume


def test_chain_withdrawals_are_named_in_korean():
    with translation.override("ko"):
        assert str(ChainWithdrawal._meta.verbose_name) == "체인 출금"
        assert str(ChainWithdrawal._meta.verbose_name_plural) == "체인 출금"
    with translation.override("en"):
        assert str(ChainWithdrawal._meta.verbose_name_plural) == "chain withdrawals"


def test_traded_volume_spans_are_translated():
    with translation.override("ko"):
        assert [str(label) for label in TradedVolume.Span.labels] == ["시간", "일"]
    with translation.override("en"):
        assert [str(label) for label in TradedVolume.Span.labels] == ["Hour", "Day"]


@pytest.mark.django_db
def test_the_admin_index_names_chain_withdrawals_in_korean(client):
    admin = User.objects.create_superuser(email="root@example.kr", password="x" * 12)
    admin.preferred_language = "ko"
    admin.save(update_fields=["preferred_language"])
    client.force_login(admin)
    client.cookies["django_language"] = "ko"
    page = client.get(reverse("admin:app_list", kwargs={"app_label": "exchange"})).content.decode()
    assert ">체인 출금</a>" in page
    assert "Chain withdrawals" not in page


@pytest.mark.django_db
def test_the_candle_count_is_a_plural_in_the_scripts_catalogue(client):
    # Korean has one form ("캔들 1개", "캔들 2개"); English falls back to the msgids' two forms
    client.cookies["django_language"] = "ko"
    korean = client.get(reverse("javascript-catalog")).content.decode()
    assert "const v = 0;" in korean
    assert '"%s candle": [\n      "\\uce94\\ub4e4 %s\\uac1c"\n    ]' in korean
    client.cookies["django_language"] = "en"
    english = client.get(reverse("javascript-catalog")).content.decode()
    assert "return (count == 1) ? 0 : 1;" in english


def test_the_trading_page_counts_candles_with_ngettext():
    template = (settings.BASE_DIR / "exchange/templates/exchange/trade.html").read_text()
    script = (settings.BASE_DIR / "exchange/static/exchange/trade.js").read_text()
    assert template.index("{% url 'javascript-catalog' %}") < template.index("exchange/trade.js")
    assert 'ngettext("%s candle", "%s candles", candles.length)' in script
