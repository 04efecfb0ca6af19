"""The VC Data Model 2.0 structural checks over the W3C test-suite inputs (pure, no Django)."""

import json
from pathlib import Path

import pytest

from identity import vcmodel

INPUT = Path(__file__).parent / "data" / "vc-data-model-2.0" / "input"
PRESENTATIONS = sorted(
    p for p in INPUT.glob("presentation-*.json") if p.name.endswith(("-ok.json", "-fail.json"))
)


@pytest.mark.parametrize("path", PRESENTATIONS, ids=lambda p: p.name)
def test_presentation_inputs(path):
    errors = vcmodel.presentation_errors(json.loads(path.read_text()))
    if path.name.endswith("-ok.json"):
        assert errors == []
    else:
        assert errors, "a -fail input must be refused"


def test_presentation_without_context_is_refused_not_injected():
    errors = vcmodel.presentation_errors(
        json.loads((INPUT / "presentation-no-context-fail-or-inject.json").read_text())
    )
    assert errors == ["@context: the first context must be https://www.w3.org/ns/credentials/v2"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2023-02-26T01:02:58.447Z", True),
        ("2023-02-26T01:02:58+09:00", True),
        ("Sat 25 Feb 2023 07:16:31 PM CST", False),
        ("2023-02-30T00:00:00Z", False),
    ],
)
def test_datetimes(value, ok):
    assert (vcmodel.parse_datetime(value) is not None) is ok
