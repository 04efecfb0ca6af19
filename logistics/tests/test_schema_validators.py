"""The compiled (jsonschema_rs) and the reference (jsonschema) validators of the EPCIS schema
agree: the fast one decides validity, the reference one names the errors (pure: no database)."""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from logistics.epcis import schema
from logistics.tests.factories import DATA, document, load, single

ALL_EXAMPLES = sorted(p.name for p in DATA.glob("*.jsonld"))


def _reference_errors(instance: object) -> list:
    return list(schema.validator().iter_errors(instance))


def _invalid_documents() -> list[tuple[str, object]]:
    """The refused documents the capture tests send, and a few more of the same kind."""
    shout = load("Example_9.6.1-ObjectEvent.jsonld")
    shout["epcisBody"]["eventList"][1]["action"] = "SHOUT"
    no_time = load("Example_9.6.1-ObjectEvent.jsonld")
    del no_time["epcisBody"]["eventList"][0]["eventTime"]
    no_type = load("Example_9.6.3-AggregationEvent.jsonld")
    del no_type["epcisBody"]["eventList"][0]["type"]
    epc_list_not_array = load("Example_9.6.2-ObjectEvent.jsonld")
    epc_list_not_array["epcisBody"]["eventList"][0]["epcList"] = "urn:epc:id:sgtin:1.2.3"
    event = load("Example_9.6.1-ObjectEvent.jsonld")["epcisBody"]["eventList"][0]
    return [
        ("action SHOUT", shout),
        ("no eventTime", no_time),
        ("no type", no_type),
        ("epcList not an array", epc_list_not_array),
        ("empty object", {}),
        ("not an object", []),
        ("event with a numeric eventTime", single({**event, "eventTime": 12})),
        ("event with a bad action", single({**event, "action": "SHOUT"})),
        ("document of a bad event", document({**event, "bizStep": 12})),
    ]


def test_the_fast_validator_is_compiled():
    # the installed jsonschema_rs compiles every construct of the GS1 schema
    assert schema.fast_validator() is not None


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_both_validators_accept_every_conformance_example(name):
    example = load(name)
    assert _reference_errors(example) == []
    assert schema.is_valid_fast(example) is True
    assert schema.errors(example) == []


@pytest.mark.parametrize(
    "instance", [doc for _, doc in _invalid_documents()], ids=[n for n, _ in _invalid_documents()]
)
def test_both_validators_refuse_the_invalid_documents_and_the_errors_are_the_reference_ones(
    instance,
):
    reference = _reference_errors(instance)
    assert reference
    assert schema.is_valid_fast(instance) is False
    expected = sorted(
        ({"path": e.json_path, "message": e.message[:300]} for e in reference[:20]),
        key=lambda error: error["path"],
    )
    assert schema.errors(instance) == expected


def _event_list(document: dict) -> list:
    body = document["epcisBody"]
    if "eventList" in body:
        return body["eventList"]
    return body["queryResults"]["resultsBody"]["eventList"]


def _mutations(example: dict):
    """Each property of each event deleted, emptied, or given a value of the wrong type."""
    for index, event in enumerate(_event_list(example)):
        for key in event:
            for value in (..., None, 7, "", [], {}, "SHOUT"):
                mutated = copy.deepcopy(example)
                target = _event_list(mutated)[index]
                if value is ...:
                    del target[key]
                else:
                    target[key] = value
                yield f"eventList[{index}].{key}={value!r}", mutated


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_both_validators_agree_on_mutated_examples(name):
    example = load(name)
    disagreements = [
        label
        for label, mutated in _mutations(example)
        if schema.is_valid_fast(mutated) != (not _reference_errors(mutated))
    ]
    assert disagreements == []


def test_validation_does_not_change_the_document():
    example = load("SensorDataExample1.jsonld")
    before = json.dumps(example, sort_keys=True)
    assert schema.is_valid_fast(example) is True
    assert json.dumps(example, sort_keys=True) == before


def _edge_documents() -> list[tuple[str, object]]:
    """Values where a Rust validator and Python's `re` could part: `$` before a final newline
    (Python's matches there), digits of other scripts for `\\d` and `[0-9]`, numbers beyond 64
    bits, NaN, and Python values that are not JSON at all."""
    event = load("Example_9.6.1-ObjectEvent.jsonld")["epcisBody"]["eventList"][0]
    quantity = {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "uom": "KGM"}
    return [
        ("offset with a final newline", single({**event, "eventTimeZoneOffset": "+09:00\n"})),
        (
            "offset in Arabic-Indic digits",
            single({**event, "eventTimeZoneOffset": "+\u0660\u0669:00"}),
        ),
        (
            "uom with a final newline",
            single({**event, "quantityList": [{**quantity, "quantity": 1, "uom": "KGM\n"}]}),
        ),
        (
            "quantity beyond 64 bits",
            single({**event, "quantityList": [{**quantity, "quantity": 10**40}]}),
        ),
        (
            "quantity NaN",
            single({**event, "quantityList": [{**quantity, "quantity": float("nan")}]}),
        ),
        (
            "quantity a Decimal",
            single({**event, "quantityList": [{**quantity, "quantity": Decimal("1.5")}]}),
        ),
        ("eventTime a datetime", single({**event, "eventTime": datetime(2026, 1, 1, tzinfo=UTC)})),
    ]


@pytest.mark.parametrize(
    "instance", [doc for _, doc in _edge_documents()], ids=[n for n, _ in _edge_documents()]
)
def test_the_fast_validator_accepts_nothing_the_reference_refuses(instance):
    # Given a value the two engines might read differently
    reference = _reference_errors(instance)
    # When the fast one accepts it, then so does the reference; either way the verdict and the
    # messages are the reference's
    if schema.is_valid_fast(instance):
        assert reference == []
    expected = sorted(
        ({"path": e.json_path, "message": e.message[:300]} for e in reference[:20]),
        key=lambda error: error["path"],
    )
    assert schema.errors(instance) == expected
