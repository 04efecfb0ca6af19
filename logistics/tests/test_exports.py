"""The recall export (FSMA 204 KDEs, CSV and XLSX) never hands a spreadsheet a live formula."""

from decimal import Decimal

import pytest

from busanhub.spreadsheet_testing import INJECTIONS, csv_rows, xlsx_cells
from logistics import services
from logistics.models import Lot
from logistics.services.recalls import KDE_COLUMNS
from logistics.tests.factories import Chain, LocationFactory, ProductFactory, document, object_event

pytestmark = pytest.mark.django_db

PRODUCT = KDE_COLUMNS.index("Product Description")
QUANTITY = KDE_COLUMNS.index("Quantity")
LOCATION = KDE_COLUMNS.index("Location Description")


@pytest.fixture
def hostile_recall():
    # given lots of products named like formulas, caught at a place named like one
    chain = Chain()
    place = LocationFactory(party=chain.vessel_co, name=INJECTIONS[0], kind="vessel")
    events = [
        object_event(
            chain,
            lot=chain.lot(ProductFactory(name=name), f"INJ-{index}"),
            minutes=index,
            location=place,
            action="ADD",
            bizStep="commissioning",
        )
        for index, name in enumerate(INJECTIONS)
    ]
    services.epcis_document_capture(document=document(*events))
    return services.recall_create(lots=list(Lot.objects.all()), reason="Formula names")


def test_the_recall_csv_quotes_every_cell_that_would_start_a_formula(hostile_recall):
    rows = csv_rows(services.recall_export_csv(hostile_recall))[1:]

    assert sorted(row[PRODUCT] for row in rows) == sorted("'" + name for name in INJECTIONS)
    assert {row[LOCATION] for row in rows} == {"'" + INJECTIONS[0]}
    assert {row[QUANTITY] for row in rows} == {"100"}


def test_the_recall_xlsx_writes_formula_like_names_as_strings_and_quantities_as_numbers(
    hostile_recall,
):
    rows = xlsx_cells(services.recall_export_xlsx(hostile_recall))[1:]

    assert sorted(row[PRODUCT].value for row in rows) == sorted("'" + n for n in INJECTIONS)
    assert {row[PRODUCT].data_type for row in rows} == {"s"}
    assert {(row[LOCATION].value, row[LOCATION].data_type) for row in rows} == {
        ("'" + INJECTIONS[0], "s")
    }
    assert {(Decimal(row[QUANTITY].value), row[QUANTITY].data_type) for row in rows} == {
        (Decimal(100), "n")
    }
