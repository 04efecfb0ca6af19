import pytest

from safety.attributes import AnswerErrors, clean_answers

DEFINITIONS = [
    {"code": "pole", "datatype": "string", "required": True, "variable": True, "values": []},
    {"code": "count", "datatype": "number", "required": False, "variable": True, "values": []},
    {"code": "seen", "datatype": "datetime", "required": False, "variable": True, "values": []},
    {"code": "notes", "datatype": "text", "required": False, "variable": True, "values": []},
    {
        "code": "kind",
        "datatype": "singlevaluelist",
        "required": True,
        "variable": True,
        "values": ["off", "flicker"],
    },
    {
        "code": "hazards",
        "datatype": "multivaluelist",
        "required": False,
        "variable": True,
        "values": ["dark", "traffic", "school"],
    },
    {"code": "info", "datatype": "text", "required": True, "variable": False, "values": []},
]


def test_valid_answers_are_normalised():
    answers = clean_answers(
        DEFINITIONS,
        {
            "pole": [" B-1234 "],
            "count": ["3"],
            "seen": ["2026-11-23T21:30:00Z"],
            "notes": ["line one\nline two"],
            "kind": ["flicker"],
            "hazards": ["school", "dark"],
        },
    )
    assert answers == {
        "pole": "B-1234",
        "count": 3,
        "seen": "2026-11-23T21:30:00+00:00",
        "notes": "line one\nline two",
        "kind": "flicker",
        "hazards": ["dark", "school"],
    }


def test_every_problem_is_reported_at_once():
    with pytest.raises(AnswerErrors) as error:
        clean_answers(
            DEFINITIONS,
            {
                "count": ["many"],
                "seen": ["last tuesday"],
                "kind": ["broken"],
                "hazards": ["dark", "fire"],
                "unknown": ["x"],
            },
        )
    assert error.value.errors == {
        "pole": "This answer is required.",
        "count": "Enter a number.",
        "seen": "Enter a date and time in ISO 8601 form, e.g. 2026-11-23T10:00.",
        "kind": "Choose one of the listed values.",
        "hazards": "Choose only listed values.",
        "unknown": "This question does not belong to the category.",
    }


def test_non_finite_number_and_multiline_string_are_refused():
    with pytest.raises(AnswerErrors) as error:
        clean_answers(DEFINITIONS, {"pole": ["a\nb"], "kind": ["off"], "count": ["inf"]})
    assert set(error.value.errors) == {"pole", "count"}
