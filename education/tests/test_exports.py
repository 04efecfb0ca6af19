"""The gradebook CSV never hands a spreadsheet a live formula; scores stay numbers."""

import pytest
from django.urls import reverse

from busanhub.spreadsheet_testing import INJECTIONS, csv_rows
from education import services
from education.tests.factories import (
    CourseFactory,
    InstructorFactory,
    ModuleFactory,
    UserFactory,
    quiz_for,
    right_answers,
)

pytestmark = pytest.mark.django_db


def test_the_gradebook_csv_quotes_formula_names_and_titles_and_keeps_scores(client):
    # given a course whose lesson an instructor titled like a formula, and students named so
    course = CourseFactory(title="Merkle trees")
    module = ModuleFactory(course=course)
    quiz = quiz_for(module)
    quiz.title = "-2+3"
    quiz.save(update_fields=["title"])
    for index, name in enumerate(INJECTIONS):
        enrollment = services.enrollment_create(
            course=course, student=UserFactory(email=f"s{index}@example.kr", name=name)
        )
        attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
        services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))
    client.force_login(InstructorFactory(university=course.university).user)

    # when the instructor downloads the gradebook
    response = client.get(reverse("education:gradebook-csv", args=[course.public_id]))

    # then every such cell starts with a quote, and the scores are plain numbers
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="gradebook-{course.code}.csv"'
    )
    header, *rows = csv_rows(response.content)
    assert header == ["email", "name", "status", "readings_done", "'-2+3 (quiz)", "certificate"]
    assert sorted(row[1] for row in rows) == sorted("'" + name for name in INJECTIONS)
    assert {row[4] for row in rows} == {"100"}
