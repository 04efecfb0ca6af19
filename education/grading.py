"""Quiz grading and the completion rule: pure functions, no Django.

A question is a dict {"id": int, "kind": "single"|"multiple"|"numeric", "correct": [choice ids]
(choices), "answer": Decimal, "tolerance": Decimal (numeric)}. An answer is a list of choice ids
(single: exactly one) or a number written as a string.
"""

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


class AnswerError(ValueError):
    """An answer that cannot be graded (wrong shape); `question_id` names the question."""

    def __init__(self, question_id: int, message: str):
        super().__init__(message)
        self.question_id = question_id


def layout(questions: Sequence[tuple[int, Sequence[int]]], *, rng: random.Random) -> list[dict]:
    """A shuffled order of the questions and of each question's choices."""
    shown: list[dict[str, Any]] = [
        {"question": qid, "choices": list(choices)} for qid, choices in questions
    ]
    rng.shuffle(shown)
    for item in shown:
        rng.shuffle(item["choices"])
    return shown


def parse_number(value: object) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    number = Decimal(str(value).strip().replace(",", "."))
    if not number.is_finite():
        raise InvalidOperation
    return number


def is_correct(question: dict, answer: object) -> bool:
    """Grades one answer; raises AnswerError when it has the wrong shape."""
    qid = question["id"]
    kind = question["kind"]
    if kind == "numeric":
        try:
            number = parse_number(answer)
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise AnswerError(qid, "the answer is a number") from exc
        return abs(number - Decimal(question["answer"])) <= Decimal(question["tolerance"])
    if not isinstance(answer, list) or not all(
        isinstance(a, int) and not isinstance(a, bool) for a in answer
    ):
        raise AnswerError(qid, "the answer is a list of choices")
    if not set(answer) <= set(question["choices"]):
        raise AnswerError(qid, "the answer names a choice of another question")
    if kind == "single" and len(answer) != 1:
        raise AnswerError(qid, "choose exactly one answer")
    return set(answer) == set(question["correct"])


@dataclass(frozen=True)
class Grade:
    score: int  # 0..100, rounded down
    correct: dict[int, bool]


def grade(questions: Iterable[dict], answers: dict[int, object]) -> Grade:
    """Every question must be answered; the score is the share answered correctly, in percent."""
    questions = list(questions)
    correct = {}
    for question in questions:
        if question["id"] not in answers:
            raise AnswerError(question["id"], "answer every question")
        correct[question["id"]] = is_correct(question, answers[question["id"]])
    if not questions:
        return Grade(score=100, correct={})
    return Grade(score=100 * sum(correct.values()) // len(questions), correct=correct)


@dataclass(frozen=True)
class CompletionInput:
    required_readings: frozenset
    readings_done: frozenset
    labs: frozenset
    labs_passed: frozenset
    quiz_best: dict  # quiz id -> best score, or None when not attempted
    pass_mark: int


def completion_missing(rule: CompletionInput) -> list[str]:
    """What keeps a student from completing: [] when complete.

    All required readings done, all required labs passed, and the average of the best score of
    every required quiz at least the pass mark (an unattempted quiz counts 0).
    """
    missing = []
    if not rule.required_readings <= rule.readings_done:
        missing.append("readings")
    if not rule.labs <= rule.labs_passed:
        missing.append("labs")
    if rule.quiz_best:
        scores = [score or 0 for score in rule.quiz_best.values()]
        if sum(scores) < rule.pass_mark * len(scores):
            missing.append("quizzes")
    return missing
