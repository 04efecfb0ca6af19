import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from education import grading
from education.models import (
    Certificate,
    Course,
    Enrollment,
    LabChallenge,
    Lesson,
    LessonProgress,
    QuizAttempt,
)
from education.permissions import require_teacher
from education.selectors import grading_question

# The pure grader speaks English; these are its messages in the user's language.
ANSWER_MESSAGES = {
    "the answer is a number": gettext_lazy("the answer is a number"),
    "the answer is a list of choices": gettext_lazy("the answer is a list of choices"),
    "the answer names a choice of another question": gettext_lazy(
        "the answer names a choice of another question"
    ),
    "choose exactly one answer": gettext_lazy("choose exactly one answer"),
    "answer every question": gettext_lazy("answer every question"),
}

# Seats are taken by every enrollment that is not refused.
SEAT_STATUSES = [Enrollment.Status.PENDING, Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED]


def _check_seat(course: Course) -> None:
    if course.capacity is not None:
        taken = course.enrollments.filter(status__in=SEAT_STATUSES).count()
        if taken >= course.capacity:
            raise ValidationError({"course": _("This course is full.")})


@transaction.atomic
def enrollment_create(*, course: Course, student) -> Enrollment:
    """Enrolls a student (active for open courses, pending for courses by approval).

    Race-safe: the course row is locked while seats are counted. Refused (ValidationError
    naming `course`, nothing written) when already enrolled, full, closed, unpublished, over,
    or when a prerequisite course is not completed.
    """
    course = Course.objects.select_for_update().get(pk=course.pk)
    if not course.is_published:
        raise ValidationError({"course": _("This course is not open for enrollment.")})
    if not course.is_enrollment_open or course.ends_on < timezone.localdate():
        raise ValidationError({"course": _("Enrollment in this course is closed.")})
    if Enrollment.objects.filter(course=course, student=student).exists():
        message = _("You are already enrolled in this course.")
        raise ValidationError({"course": ValidationError(message, code="already_enrolled")})
    missing = course.prerequisites.exclude(
        enrollments__student=student, enrollments__status=Enrollment.Status.COMPLETED
    )
    if missing.exists():
        raise ValidationError(
            {
                "course": _("Complete these courses first: %(titles)s")
                % {"titles": ", ".join(c.title for c in missing)}
            }
        )
    _check_seat(course)
    status = (
        Enrollment.Status.ACTIVE
        if course.enrollment_policy == Course.Enrollment.OPEN
        else Enrollment.Status.PENDING
    )
    enrollment = Enrollment(course=course, student=student, status=status)
    enrollment.full_clean()
    enrollment.save()
    return enrollment


@transaction.atomic
def enrollment_decide(*, enrollment: Enrollment, by, approve: bool) -> Enrollment:
    """Approves or refuses a pending enrollment (the course's instructors or staff)."""
    require_teacher(by, enrollment.course.university_id)
    Course.objects.select_for_update().get(pk=enrollment.course_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.PENDING:
        raise ValidationError({"status": _("This enrollment is not waiting for a decision.")})
    enrollment.status = Enrollment.Status.ACTIVE if approve else Enrollment.Status.REJECTED
    enrollment.full_clean()
    enrollment.save(update_fields=["status"])
    return enrollment


def _require_learner(enrollment: Enrollment, lesson: Lesson) -> None:
    if enrollment.status not in (Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED):
        raise PermissionDenied(_("You are not enrolled in this course."))
    if lesson.module.course_id != enrollment.course_id:
        raise ValidationError({"lesson": _("This lesson belongs to another course.")})


@transaction.atomic
def lesson_complete(*, enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Marks a reading as done (idempotent) and completes the course when the rule is met."""
    _require_learner(enrollment, lesson)
    if lesson.kind != Lesson.Kind.TEXT:
        raise ValidationError({"lesson": _("Quizzes and labs are completed by passing them.")})
    progress, _created = LessonProgress.objects.get_or_create(enrollment=enrollment, lesson=lesson)
    enrollment_check_completion(enrollment=enrollment)
    return progress


def _questions(lesson: Lesson) -> list:
    return list(lesson.questions.prefetch_related("choices").order_by("position", "pk"))


@transaction.atomic
def quiz_attempt_start(
    *, enrollment: Enrollment, lesson: Lesson, rng: random.Random | None = None
) -> QuizAttempt:
    """Starts an attempt with shuffled questions and choices; returns an unfinished one if any.

    Refused once the lesson's attempt limit is used up (nothing written).
    """
    _require_learner(enrollment, lesson)
    if lesson.kind != Lesson.Kind.QUIZ:
        raise ValidationError({"lesson": _("This lesson is not a quiz.")})
    Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    attempts = QuizAttempt.objects.filter(enrollment=enrollment, lesson=lesson)
    open_attempt = attempts.filter(submitted_at__isnull=True).first()
    if open_attempt is not None:
        return open_attempt
    used = attempts.count()
    if used >= lesson.max_attempts:
        raise ValidationError(
            {"attempt": _("You have used all %(n)d attempts at this quiz.") % {"n": used}}
        )
    shown = grading.layout(
        [(q.pk, [c.pk for c in q.choices.all()]) for q in _questions(lesson)],
        rng=rng or random.SystemRandom(),
    )
    attempt = QuizAttempt(enrollment=enrollment, lesson=lesson, number=used + 1, layout=shown)
    attempt.full_clean()
    attempt.save()
    return attempt


def _normalize_answers(answers) -> dict[int, object]:
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("Answers are an object: question id → answer.")})
    normalized = {}
    for key, value in answers.items():
        try:
            normalized[int(key)] = value
        except (TypeError, ValueError) as exc:
            raise ValidationError({"answers": _("Unknown question %(q)s.") % {"q": key}}) from exc
    return normalized


@transaction.atomic
def quiz_attempt_submit(*, attempt: QuizAttempt, answers: dict) -> QuizAttempt:
    """Grades an attempt once (the score is final) and completes the course when the rule is met.

    `answers` maps question ids to a list of choice ids or a number. Refused (nothing written)
    when the attempt was already submitted or an answer is missing or malformed.
    """
    attempt = (
        QuizAttempt.objects.select_for_update(of=("self",))
        .select_related("lesson")
        .get(pk=attempt.pk)
    )
    enrollment = attempt.enrollment
    _require_learner(enrollment, attempt.lesson)
    if attempt.submitted_at is not None:
        raise ValidationError({"attempt": _("This attempt has already been submitted.")})
    answers = _normalize_answers(answers)
    questions = _questions(attempt.lesson)
    try:
        result = grading.grade([grading_question(q) for q in questions], answers)
    except grading.AnswerError as exc:
        raise ValidationError(
            {
                "answers": _("Question %(q)s: %(message)s")
                % {"q": exc.question_id, "message": ANSWER_MESSAGES.get(str(exc), str(exc))}
            }
        ) from exc
    attempt.answers = {str(k): v for k, v in answers.items() if k in result.correct}
    attempt.score = result.score
    attempt.submitted_at = timezone.now()
    attempt.full_clean()
    attempt.save(update_fields=["answers", "score", "submitted_at"])
    enrollment_check_completion(enrollment=enrollment)
    return attempt


def completion_input(enrollment: Enrollment) -> grading.CompletionInput:
    lessons = list(
        Lesson.objects.filter(module__course_id=enrollment.course_id, is_required=True).values_list(
            "pk", "kind"
        )
    )
    quizzes = [pk for pk, kind in lessons if kind == Lesson.Kind.QUIZ]
    best: dict[int, int | None] = dict.fromkeys(quizzes)
    for lesson_id, score in QuizAttempt.objects.filter(
        enrollment=enrollment, lesson_id__in=quizzes, score__isnull=False
    ).values_list("lesson_id", "score"):
        best[lesson_id] = max(best[lesson_id] or 0, score)
    return grading.CompletionInput(
        required_readings=frozenset(pk for pk, kind in lessons if kind == Lesson.Kind.TEXT),
        readings_done=frozenset(
            LessonProgress.objects.filter(enrollment=enrollment).values_list("lesson_id", flat=True)
        ),
        labs=frozenset(pk for pk, kind in lessons if kind == Lesson.Kind.LAB),
        labs_passed=frozenset(
            LabChallenge.objects.filter(enrollment=enrollment, is_passed=True).values_list(
                "lesson_id", flat=True
            )
        ),
        quiz_best=best,
        pass_mark=enrollment.course.pass_mark,
    )


@transaction.atomic
def enrollment_check_completion(*, enrollment: Enrollment) -> bool:
    """Completes the enrollment when the course's rule is met and queues its certificate.

    Idempotent: a completed enrollment stays completed and gets one certificate, issued in the
    course's batch by `tasks.certificates_issue_for_course` after commit.
    """
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status == Enrollment.Status.COMPLETED:
        return True
    if enrollment.status != Enrollment.Status.ACTIVE:
        return False
    if grading.completion_missing(completion_input(enrollment)):
        return False
    enrollment.status = Enrollment.Status.COMPLETED
    enrollment.completed_at = timezone.now()
    enrollment.save(update_fields=["status", "completed_at"])
    Certificate.objects.get_or_create(enrollment=enrollment)
    from education import tasks

    course_pk = enrollment.course_id
    transaction.on_commit(lambda: tasks.certificates_issue_for_course.delay(course_pk))
    return True
