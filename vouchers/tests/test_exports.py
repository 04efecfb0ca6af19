"""Settlement reports (CSV and XLSX) never hand a spreadsheet a live formula; amounts stay
numbers, refunds (negative) included."""

import pytest
from django.urls import reverse
from django.utils import timezone

from busanhub.spreadsheet_testing import INJECTIONS, csv_rows, xlsx_cells
from vouchers import reports, selectors, services
from vouchers.tests.factories import topped_up

pytestmark = pytest.mark.django_db

TYPE, REFERENCE, AMOUNT = (reports.HEADER.index(c) for c in ("type", "payment", "amount_krw"))


@pytest.fixture
def settlement(citizen, merchant, monkeypatch):
    # given a day with a payment and a partial refund
    topped_up(citizen, 50_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=20_000)
    services.refund_create(payment=payment, amount=5_000, by=merchant.owner)
    settlement = services.settlement_create(merchant=merchant, business_date=timezone.localdate())
    # and lines whose text would start a formula (today's lines hold no free text: this holds
    # the report to the rule the day a memo or a merchant's name becomes a column)
    real_lines = selectors.settlement_lines

    def lines_with_formulas(*, settlement):
        lines = real_lines(settlement=settlement)
        template = lines[0]
        return lines + [{**template, "type": text, "reference": text} for text in INJECTIONS]

    monkeypatch.setattr(selectors, "settlement_lines", lines_with_formulas)
    return settlement


def test_the_settlement_csv_quotes_formula_text_and_keeps_amounts_numeric(settlement):
    rows = csv_rows(reports.settlement_csv(settlement=settlement))

    hostile = rows[3:-1]
    assert [row[TYPE] for row in hostile] == ["'" + text for text in INJECTIONS]
    assert [row[REFERENCE] for row in hostile] == ["'" + text for text in INJECTIONS]
    assert [row[AMOUNT] for row in rows[1:3]] == ["20000", "-5000"]
    assert rows[-1][AMOUNT] == "15000"


def test_the_settlement_xlsx_writes_formula_text_as_strings_and_amounts_as_numbers(settlement):
    rows = xlsx_cells(reports.settlement_xlsx(settlement=settlement))

    hostile = rows[3:-1]
    assert [(row[TYPE].value, row[TYPE].data_type) for row in hostile] == [
        ("'" + text, "s") for text in INJECTIONS
    ]
    assert {row[REFERENCE].data_type for row in hostile} == {"s"}
    assert [(row[AMOUNT].value, row[AMOUNT].data_type) for row in rows[1:3]] == [
        (20_000, "n"),
        (-5_000, "n"),
    ]
    assert (rows[-1][AMOUNT].value, rows[-1][AMOUNT].data_type) == (15_000, "n")


def test_the_merchant_downloads_the_inert_report(client, settlement):
    client.force_login(settlement.merchant.owner)

    response = client.get(
        reverse("vouchers:settlement-report", args=[settlement.public_id, "xlsx"])
    )

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert {row[TYPE].data_type for row in xlsx_cells(response.content)[3:-1]} == {"s"}
