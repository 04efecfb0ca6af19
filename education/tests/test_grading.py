import random
from decimal import Decimal

import pytest

from education import grading

SINGLE = {"id": 1, "kind": "single", "choices": [10, 11], "correct": [10]}
MULTIPLE = {"id": 2, "kind": "multiple", "choices": [20, 21, 22], "correct": [20, 21]}
NUMERIC = {"id": 3, "kind": "numeric", "answer": Decimal("3.14"), "tolerance": Decimal("0.01")}


def test_single_choice_is_right_only_with_the_correct_choice():
    assert grading.is_correct(SINGLE, [10]) is True
    assert grading.is_correct(SINGLE, [11]) is False


def test_single_choice_refuses_two_choices():
    with pytest.raises(grading.AnswerError) as error:
        grading.is_correct(SINGLE, [10, 11])
    assert error.value.question_id == 1


def test_multiple_choice_needs_exactly_the_correct_set():
    assert grading.is_correct(MULTIPLE, [21, 20]) is True
    assert grading.is_correct(MULTIPLE, [20]) is False
    assert grading.is_correct(MULTIPLE, [20, 21, 22]) is False


def test_a_choice_of_another_question_is_refused():
    with pytest.raises(grading.AnswerError):
        grading.is_correct(MULTIPLE, [10])


def test_numeric_answers_within_the_tolerance_are_right():
    assert grading.is_correct(NUMERIC, "3.15") is True
    assert grading.is_correct(NUMERIC, "3,13") is True
    assert grading.is_correct(NUMERIC, 3.2) is False


@pytest.mark.parametrize("answer", ["pi", "", None, True, "NaN", "Infinity", [3]])
def test_numeric_answers_that_are_not_numbers_are_refused(answer):
    with pytest.raises(grading.AnswerError):
        grading.is_correct(NUMERIC, answer)


def test_grade_is_the_share_of_right_answers_rounded_down():
    result = grading.grade([SINGLE, MULTIPLE, NUMERIC], {1: [10], 2: [20], 3: "3.14"})
    assert result.score == 66
    assert result.correct == {1: True, 2: False, 3: True}


def test_grade_requires_every_answer():
    with pytest.raises(grading.AnswerError) as error:
        grading.grade([SINGLE, MULTIPLE], {1: [10]})
    assert error.value.question_id == 2


def test_layout_shuffles_questions_and_choices_and_keeps_them_all():
    shown = grading.layout([(1, [10, 11]), (2, [20, 21, 22]), (3, [])], rng=random.Random(4))
    assert sorted(item["question"] for item in shown) == [1, 2, 3]
    assert {item["question"]: sorted(item["choices"]) for item in shown} == {
        1: [10, 11],
        2: [20, 21, 22],
        3: [],
    }
    orders = {
        tuple(
            i["question"]
            for i in grading.layout([(1, []), (2, []), (3, [])], rng=random.Random(seed))
        )
        for seed in range(20)
    }
    assert len(orders) > 1


def _rule(**changes):
    base = {
        "required_readings": frozenset({1, 2}),
        "readings_done": frozenset({1, 2}),
        "labs": frozenset({5}),
        "labs_passed": frozenset({5}),
        "quiz_best": {7: 60, 8: 80},
        "pass_mark": 70,
    }
    return grading.CompletionInput(**{**base, **changes})


def test_completion_when_readings_labs_and_quiz_average_are_met():
    assert grading.completion_missing(_rule()) == []


def test_completion_names_what_is_missing():
    assert grading.completion_missing(_rule(readings_done=frozenset({1}))) == ["readings"]
    assert grading.completion_missing(_rule(labs_passed=frozenset())) == ["labs"]
    assert grading.completion_missing(_rule(quiz_best={7: 60, 8: None})) == ["quizzes"]
    assert grading.completion_missing(_rule(quiz_best={7: 60, 8: 79})) == ["quizzes"]
