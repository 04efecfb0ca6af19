"""Reads of the education app that are more than one query line."""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from busanhub.db import Columns, PreparedStatement
from education import grading
from education.models import (
    Certificate,
    Course,
    Enrollment,
    Instructor,
    LabChallenge,
    Lesson,
    LessonProgress,
    Module,
    QuizAttempt,
)
from education.permissions import (
    STAFF_GROUP,
    can_teach_given,
    instructor_university_id,
    is_education_staff,
)


def courses_catalogue(
    *, query: str = "", university: str = "", level: str = "", language: str = ""
) -> QuerySet[Course]:
    """Published courses matching a free-text query and the filters (university slug, level,
    language), with their university, soonest first."""
    courses = Course.objects.filter(is_published=True).select_related("university")
    if query:
        courses = courses.filter(
            Q(title__icontains=query) | Q(summary__icontains=query) | Q(code__icontains=query)
        )
    if university:
        courses = courses.filter(university__slug=university)
    if level:
        courses = courses.filter(level=level)
    if language:
        courses = courses.filter(language=language)
    return courses.order_by("starts_on", "title")


def course_outline(course: Course) -> list[Module]:
    return list(
        course.modules.prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.order_by("position", "pk"))
        ).order_by("position", "pk")
    )


@dataclass
class LessonState:
    done: set
    quiz_best: dict
    labs_passed: set


@dataclass(frozen=True)
class Reader:
    """One reader of a course's pages: their enrollment (None if none), the lessons they
    completed (readings) and passed (labs), and whether they teach the course."""

    enrollment: Enrollment | None
    done: frozenset
    labs_passed: frozenset
    can_teach: bool


@functools.cache
def _reader_statement() -> PreparedStatement:
    # The course and lesson pages' only personal read: four ORM queries (enrollment, readings
    # done, labs passed, the reader's groups) cost more Python to build than the page's own
    # rendering. Table and column names come from the models; values are parameters.
    user_model = get_user_model()
    user_groups = user_model.groups.through
    user_column = user_groups._meta.get_field(user_model._meta.model_name).column
    group_column = user_groups._meta.get_field("group").column
    return PreparedStatement(
        "education_reader_of_course",
        "SELECT e.id, e.public_id, e.status, e.created_at, e.completed_at, "  # noqa: S608
        f"ARRAY(SELECT p.lesson_id FROM {LessonProgress._meta.db_table} AS p "
        "WHERE p.enrollment_id = e.id), "
        f"ARRAY(SELECT c.lesson_id FROM {LabChallenge._meta.db_table} AS c "
        "WHERE c.enrollment_id = e.id AND c.is_passed), "
        f"ARRAY(SELECT g.name FROM {Group._meta.db_table} AS g "
        f"JOIN {user_groups._meta.db_table} AS ug ON ug.{group_column} = g.id "
        f"WHERE ug.{user_column} = %(user)s AND g.name = ANY(%(groups)s)), "
        f"(SELECT i.university_id FROM {Instructor._meta.db_table} AS i "
        "WHERE i.user_id = %(user)s) "
        f"FROM (VALUES (1)) AS one (x) LEFT JOIN {Enrollment._meta.db_table} AS e "
        "ON e.course_id = %(course)s AND e.student_id = %(user)s",
        params=[("user", "bigint"), ("groups", "text[]"), ("course", "bigint")],
    )


def reader_of_course(*, user, course: Course) -> Reader:
    """The reader's enrollment, progress and teaching role in one query (none when signed
    out)."""
    if user is None or not user.is_authenticated:
        return Reader(enrollment=None, done=frozenset(), labs_passed=frozenset(), can_teach=False)
    with connection.cursor() as cursor:
        ((pk, public_id, status, created_at, completed_at, done, labs, groups, university),) = (
            _reader_statement().execute(
                cursor, user=user.pk, groups=[STAFF_GROUP, "instructor"], course=course.pk
            )
        )
    enrollment = None
    if pk is not None:
        enrollment = Enrollment.from_db(
            connection.alias,
            ["id", "public_id", "course_id", "student_id", "status", "created_at", "completed_at"],
            [pk, public_id, course.pk, user.pk, status, created_at, completed_at],
        )
        # the reader and the course are at hand: no query when a caller follows them
        enrollment.student = user
        enrollment.course = course
    return Reader(
        enrollment=enrollment,
        done=frozenset(done),
        labs_passed=frozenset(labs),
        can_teach=can_teach_given(
            user, course.university_id, groups=set(groups), instructor_university_id=university
        ),
    )


_ENROLLMENT = Columns(Enrollment, "e")
LEARNING_STATUSES = [Enrollment.Status.ACTIVE.value, Enrollment.Status.COMPLETED.value]


@functools.cache
def _learning_enrollment_statement() -> PreparedStatement:
    # The quiz and lab APIs' first read on every call: the ORM's query building cost more
    # Python than the rest of a quiz start's reads together.
    return PreparedStatement(
        "education_learning_enrollment",
        f"SELECT {_ENROLLMENT.sql} FROM {Enrollment._meta.db_table} AS e "  # noqa: S608
        "WHERE e.course_id = %(course)s AND e.student_id = %(student)s "
        "AND e.status = ANY(%(statuses)s)",
        params=[("course", "bigint"), ("student", "bigint"), ("statuses", "text[]")],
    )


def learning_enrollment(*, course_id: int, student) -> Enrollment | None:
    """The student's enrollment in the course if it lets them learn (active or completed)."""
    with connection.cursor() as cursor:
        rows = _learning_enrollment_statement().execute(
            cursor, course=course_id, student=student.pk, statuses=LEARNING_STATUSES
        )
    return _ENROLLMENT.instance(rows[0]) if rows else None


@functools.cache
def _student_attempt_statement() -> PreparedStatement:
    return PreparedStatement(
        "education_student_attempt",
        f"SELECT a.id FROM {QuizAttempt._meta.db_table} AS a "  # noqa: S608
        f"JOIN {Enrollment._meta.db_table} AS e ON e.id = a.enrollment_id "
        "WHERE a.public_id = %(attempt)s AND e.student_id = %(student)s",
        params=[("attempt", "uuid"), ("student", "bigint")],
    )


def student_attempt_pk(*, public_id, student) -> int | None:
    """The primary key of the student's own attempt `public_id` (None: none of theirs)."""
    with connection.cursor() as cursor:
        rows = _student_attempt_statement().execute(
            cursor, attempt=str(public_id), student=student.pk
        )
    return rows[0][0] if rows else None


@functools.cache
def _learner_statement() -> PreparedStatement:
    return PreparedStatement(
        "education_learner_state",
        f"SELECT ARRAY(SELECT lesson_id FROM {LessonProgress._meta.db_table} "  # noqa: S608
        "WHERE enrollment_id = %(enrollment)s), "
        f"ARRAY(SELECT lesson_id FROM {LabChallenge._meta.db_table} "
        "WHERE enrollment_id = %(enrollment)s AND is_passed), "
        f"ARRAY(SELECT ARRAY[lesson_id, max(score)] FROM {QuizAttempt._meta.db_table} "
        "WHERE enrollment_id = %(enrollment)s AND score IS NOT NULL GROUP BY lesson_id)",
        params=[("enrollment", "bigint")],
    )


def learner_state(enrollment: Enrollment) -> LessonState:
    """Readings done, labs passed and the best score of each quiz attempted, in one query."""
    with connection.cursor() as cursor:
        ((done, labs, best),) = _learner_statement().execute(cursor, enrollment=enrollment.pk)
    return LessonState(done=set(done), labs_passed=set(labs), quiz_best=dict(best))


def progress_percent(
    enrollment: Enrollment, state: LessonState, lesson_ids: list[int], pass_mark: int
) -> int:
    if not lesson_ids:
        return 0
    finished = sum(
        1
        for pk in lesson_ids
        if pk in state.done
        or pk in state.labs_passed
        or (state.quiz_best.get(pk) or -1) >= pass_mark
    )
    return 100 * finished // len(lesson_ids)


def my_learning(*, user) -> list[dict]:
    """The user's enrollments with progress per course (in a fixed number of queries)."""
    enrollments = list(
        Enrollment.objects.filter(student=user)
        .select_related("course__university")
        .order_by("-created_at")
    )
    if not enrollments:
        return []  # most readers of /me/ take no course: five queries less
    course_ids = [e.course_id for e in enrollments]
    lessons: dict[int, list[int]] = {}
    for pk, course_id in Lesson.objects.filter(
        module__course_id__in=course_ids, is_required=True
    ).values_list("pk", "module__course_id"):
        lessons.setdefault(course_id, []).append(pk)
    done = set(
        LessonProgress.objects.filter(enrollment__in=enrollments).values_list(
            "lesson_id", flat=True
        )
    )
    passed = set(
        LabChallenge.objects.filter(enrollment__in=enrollments, is_passed=True).values_list(
            "lesson_id", flat=True
        )
    )
    best = {
        (row["enrollment_id"], row["lesson_id"]): row["best"]
        for row in QuizAttempt.objects.filter(enrollment__in=enrollments, score__isnull=False)
        .values("enrollment_id", "lesson_id")
        .annotate(best=Max("score"))
    }
    certificates = {
        c.enrollment_id: c for c in Certificate.objects.filter(enrollment__in=enrollments)
    }
    rows = []
    for enrollment in enrollments:
        ids = lessons.get(enrollment.course_id, [])
        state = LessonState(
            done=done,
            labs_passed=passed,
            quiz_best={pk: best.get((enrollment.pk, pk)) for pk in ids},
        )
        rows.append(
            {
                "enrollment": enrollment,
                "course": enrollment.course,
                "percent": progress_percent(enrollment, state, ids, enrollment.course.pass_mark),
                "certificate": certificates.get(enrollment.pk),
            }
        )
    return rows


@functools.cache
def _panel_statement() -> PreparedStatement:
    enrollment, lesson = Enrollment._meta.db_table, Lesson._meta.db_table
    return PreparedStatement(
        "education_learning_panel",
        # my_learning's rules in SQL: a required lesson is finished when any of the user's
        # enrollments read it or passed its lab, or this enrollment's best quiz score (a best
        # of 0 counting as none, as `or -1` does there) reaches the course's pass mark.
        "SELECT course.id, course.public_id, course.title, certificate.public_id, "  # noqa: S608
        "certificate.status, (SELECT CASE WHEN count(*) = 0 THEN 0 "
        "ELSE 100 * count(*) FILTER (WHERE finished) / count(*) END FROM (SELECT "
        f"EXISTS (SELECT 1 FROM {LessonProgress._meta.db_table} AS progress "
        f"JOIN {enrollment} AS own ON own.id = progress.enrollment_id "
        "WHERE own.student_id = %(user)s AND progress.lesson_id = lesson.id) "
        f"OR EXISTS (SELECT 1 FROM {LabChallenge._meta.db_table} AS lab "
        f"JOIN {enrollment} AS own ON own.id = lab.enrollment_id "
        "WHERE own.student_id = %(user)s AND lab.is_passed AND lab.lesson_id = lesson.id) "
        "OR coalesce(nullif((SELECT max(attempt.score) "
        f"FROM {QuizAttempt._meta.db_table} AS attempt "
        "WHERE attempt.enrollment_id = enrollment.id AND attempt.lesson_id = lesson.id), 0), "
        "-1) >= course.pass_mark AS finished "
        f"FROM {lesson} AS lesson JOIN {Module._meta.db_table} AS module "
        "ON module.id = lesson.module_id "
        "WHERE module.course_id = course.id AND lesson.is_required) AS lessons) "
        f"FROM {enrollment} AS enrollment "
        f"JOIN {Course._meta.db_table} AS course ON course.id = enrollment.course_id "
        f"LEFT JOIN {Certificate._meta.db_table} AS certificate "
        "ON certificate.enrollment_id = enrollment.id "
        "WHERE enrollment.student_id = %(user)s ORDER BY enrollment.created_at DESC "
        "LIMIT %(limit)s",
        params=[("user", "bigint"), ("limit", "integer")],
    )


def my_learning_panel(*, user, limit: int = 5) -> list[dict]:
    """The first `limit` rows of `my_learning` as the /me/ panel shows them (the course's
    title and link, the percent, the certificate's state and link) from one prepared statement
    (my_learning's six ORM queries were 40% of the dashboard's CPU)."""
    with connection.cursor() as cursor:
        found = _panel_statement().execute(cursor, user=user.pk, limit=limit)
    rows = []
    for course_pk, course_id, title, certificate_id, status, percent in found:
        course = Course.from_db(
            connection.alias, ["id", "public_id", "title"], [course_pk, course_id, title]
        )
        certificate = None
        if certificate_id is not None:
            certificate = Certificate(public_id=certificate_id, status=status)
        rows.append({"course": course, "percent": percent, "certificate": certificate})
    return rows


def courses_taught_by(*, user) -> QuerySet[Course]:
    courses = Course.objects.select_related("university").annotate(
        students=Count("enrollments", distinct=True)
    )
    if is_education_staff(user):
        return courses.order_by("starts_on")
    university_id = instructor_university_id(user)
    if university_id is None:
        return courses.none()
    return courses.filter(university_id=university_id).order_by("starts_on")


def gradebook(*, course: Course) -> tuple[list[Lesson], list[dict]]:
    """Columns (quizzes and labs) and one row per enrollment: best quiz scores, labs passed,
    readings done, status and certificate."""
    columns = list(
        Lesson.objects.filter(
            module__course=course, kind__in=[Lesson.Kind.QUIZ, Lesson.Kind.LAB]
        ).order_by("module__position", "position")
    )
    enrollments = list(
        Enrollment.objects.filter(course=course)
        .select_related("student")
        .order_by("student__email")
    )
    best = {
        (row["enrollment_id"], row["lesson_id"]): row["best"]
        for row in QuizAttempt.objects.filter(enrollment__course=course, score__isnull=False)
        .values("enrollment_id", "lesson_id")
        .annotate(best=Max("score"))
    }
    attempts = {
        (row["enrollment_id"], row["lesson_id"]): row["n"]
        for row in QuizAttempt.objects.filter(enrollment__course=course)
        .values("enrollment_id", "lesson_id")
        .annotate(n=Count("pk"))
    }
    labs = set(
        LabChallenge.objects.filter(enrollment__course=course, is_passed=True).values_list(
            "enrollment_id", "lesson_id"
        )
    )
    readings = dict(
        LessonProgress.objects.filter(enrollment__course=course)
        .values("enrollment_id")
        .annotate(n=Count("pk"))
        .values_list("enrollment_id", "n")
    )
    certificates = dict(
        Certificate.objects.filter(enrollment__course=course).values_list("enrollment_id", "status")
    )
    rows = []
    for enrollment in enrollments:
        cells = []
        for lesson in columns:
            key = (enrollment.pk, lesson.pk)
            if lesson.kind == Lesson.Kind.QUIZ:
                cells.append({"score": best.get(key), "attempts": attempts.get(key, 0)})
            else:
                cells.append({"passed": key in labs})
        rows.append(
            {
                "enrollment": enrollment,
                "student": enrollment.student,
                "cells": cells,
                "readings": readings.get(enrollment.pk, 0),
                "certificate": certificates.get(enrollment.pk, ""),
            }
        )
    return columns, rows


def certificate_public(public_id) -> Certificate | None:
    return (
        Certificate.objects.select_related(
            "enrollment__course__university", "enrollment__student", "credential", "batch"
        )
        .filter(public_id=public_id)
        .exclude(credential=None)
        .first()
    )


def attempt_feedback(attempt: QuizAttempt, questions: list) -> list[dict]:
    """Per question of a graded attempt: was the stored answer right, and the feedback text."""
    rows = []
    for question in questions:
        answer = attempt.answers.get(str(question.pk))
        try:
            correct = answer is not None and grading.is_correct(grading_question(question), answer)
        except grading.AnswerError:
            correct = False
        rows.append({"question": question, "correct": correct})
    return rows


def grading_question(question) -> dict:
    """A question as the pure grader takes it (a content.QuizQuestion)."""
    return {
        "id": question.pk,
        "kind": question.kind,
        "choices": [c.pk for c in question.choices],
        "correct": [c.pk for c in question.choices if c.is_correct],
        "answer": question.numeric_answer if question.numeric_answer is not None else 0,
        "tolerance": question.tolerance,
    }
