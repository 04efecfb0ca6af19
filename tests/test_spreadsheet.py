"""The one spreadsheet writer: text that would start a formula is inert, numbers stay numbers."""

from decimal import Decimal

import pytest

from busanhub import spreadsheet
from busanhub.spreadsheet_testing import INJECTIONS, csv_rows, xlsx_cells


@pytest.mark.parametrize("text", INJECTIONS)
def test_text_that_starts_a_formula_is_quoted_in_csv_and_a_string_in_xlsx(text):
    csv_cell = csv_rows(spreadsheet.rows_to_csv(["name"], [[text]]))[1][0]
    (xlsx_cell,) = xlsx_cells(spreadsheet.rows_to_xlsx(["name"], [[text]]))[1]

    assert csv_cell == "'" + text
    assert (xlsx_cell.value, xlsx_cell.data_type) == ("'" + text, "s")


def test_numbers_stay_numbers_negative_ones_too_and_plain_text_is_untouched():
    row = [-5_000, 15_000, Decimal("-1.5"), Decimal("10").normalize(), 2.5, "Whole mackerel", None]

    csv_row = csv_rows(spreadsheet.rows_to_csv(["a"] * len(row), [row]))[1]
    cells = xlsx_cells(spreadsheet.rows_to_xlsx(["a"] * len(row), [row]))[1]

    assert csv_row == ["-5000", "15000", "-1.5", "10", "2.5", "Whole mackerel", ""]
    assert [(c.value, c.data_type) for c in cells[:5]] == [
        (-5_000, "n"),
        (15_000, "n"),
        (-1.5, "n"),
        (10, "n"),
        (2.5, "n"),
    ]
    assert (cells[5].value, cells[5].data_type) == ("Whole mackerel", "s")
    assert cells[6].value is None


def test_text_that_looks_like_an_error_code_or_a_number_is_still_text():
    cells = xlsx_cells(spreadsheet.rows_to_xlsx(["a", "b", "c"], [["#N/A", "-1", True]]))[1]

    assert [(c.value, c.data_type) for c in cells] == [("#N/A", "s"), ("'-1", "s"), ("True", "s")]


def test_the_header_is_escaped_like_any_cell():
    assert csv_rows(spreadsheet.rows_to_csv(["=1+1"], []))[0] == ["'=1+1"]
