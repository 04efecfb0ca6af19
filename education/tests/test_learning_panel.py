"""The /me/ panel's rows (one prepared statement) say what my_learning says."""

import datetime

import pytest
from django.utils import timezone

from education import selectors
from education.models import Certificate, Enrollment, LessonProgress, QuizAttempt
from education.tests.factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _course_with_lessons(count: int, *, optional: int = 0):
    module = ModuleFactory()
    lessons = [LessonFactory(module=module) for _ in range(count)]
    for _ in range(optional):
        LessonFactory(module=module, is_required=False)
    return module.course, lessons


def test_the_panel_rows_are_my_learnings_first_five():
    # Given a student enrolled in six courses, oldest first: lessons read, quizzes whose best
    # score passes, fails or is 0, an optional lesson, a course without lessons, certificates
    student, other = UserFactory(), UserFactory()
    now = timezone.now()
    courses = []
    for n in range(6):
        course, lessons = _course_with_lessons([3, 4, 2, 0, 5, 1][n], optional=n % 2)
        enrollment = Enrollment.objects.create(
            course=course,
            student=student,
            status=Enrollment.Status.ACTIVE,
            created_at=now - datetime.timedelta(days=10 - n),
        )
        courses.append((course, lessons, enrollment))
    _, lessons, enrollment = courses[0]
    LessonProgress.objects.create(enrollment=enrollment, lesson=lessons[0])
    _, lessons, enrollment = courses[1]
    for number, (lesson, score) in enumerate([(lessons[0], 80), (lessons[1], 0), (lessons[2], 40)]):
        QuizAttempt.objects.create(
            enrollment=enrollment, lesson=lesson, number=number + 1, score=score
        )
    QuizAttempt.objects.create(enrollment=enrollment, lesson=lessons[0], number=9, score=None)
    LessonProgress.objects.create(enrollment=enrollment, lesson=lessons[3])
    Certificate.objects.create(enrollment=enrollment, status=Certificate.Status.ISSUED)
    _, lessons, enrollment = courses[2]
    LessonProgress.objects.create(enrollment=enrollment, lesson=lessons[0])
    LessonProgress.objects.create(enrollment=enrollment, lesson=lessons[1])
    Certificate.objects.create(enrollment=enrollment)
    _, lessons, enrollment = courses[4]
    LessonProgress.objects.create(enrollment=enrollment, lesson=lessons[2])
    Enrollment.objects.create(
        course=CourseFactory(), student=other, status=Enrollment.Status.ACTIVE
    )

    # When the panel's rows are read, and my_learning's
    panel = selectors.my_learning_panel(user=student, limit=5)
    full = selectors.my_learning(user=student)[:5]

    # Then they are the same courses, percents and certificates, newest first
    def shown(rows):
        return [
            (
                row["course"].get_absolute_url(),
                row["course"].title,
                row["percent"],
                row["certificate"] and row["certificate"].status,
                row["certificate"] and row["certificate"].get_absolute_url(),
            )
            for row in rows
        ]

    assert shown(panel) == shown(full)
    assert [row["percent"] for row in panel] == [0, 20, 0, 100, 50]
    assert selectors.my_learning_panel(user=UserFactory()) == []
