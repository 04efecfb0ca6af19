"""Reads of the education app that are more than one query line."""

from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from education import grading
from education.models import (
    Certificate,
    Course,
    Enrollment,
    LabChallenge,
    Lesson,
    LessonProgress,
    Module,
    QuizAttempt,
)
from education.permissions import instructor_university_id, is_education_staff


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


def enrollment_for(*, user, course: Course) -> Enrollment | None:
    if user is None or not user.is_authenticated:
        return None
    return Enrollment.objects.filter(course=course, student=user).first()


@dataclass
class LessonState:
    done: set
    quiz_best: dict
    labs_passed: set


def lesson_states(enrollment: Enrollment | None) -> LessonState:
    if enrollment is None:
        return LessonState(done=set(), quiz_best={}, labs_passed=set())
    return LessonState(
        done=set(
            LessonProgress.objects.filter(enrollment=enrollment).values_list("lesson_id", flat=True)
        ),
        quiz_best=dict(
            QuizAttempt.objects.filter(enrollment=enrollment, score__isnull=False)
            .values("lesson_id")
            .annotate(best=Max("score"))
            .values_list("lesson_id", "best")
        ),
        labs_passed=set(
            LabChallenge.objects.filter(enrollment=enrollment, is_passed=True).values_list(
                "lesson_id", flat=True
            )
        ),
    )


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
    """A question as the pure grader takes it (choices prefetched by the caller)."""
    choices = list(question.choices.all())
    return {
        "id": question.pk,
        "kind": question.kind,
        "choices": [c.pk for c in choices],
        "correct": [c.pk for c in choices if c.is_correct],
        "answer": question.numeric_answer if question.numeric_answer is not None else 0,
        "tolerance": question.tolerance,
    }
