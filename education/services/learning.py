import functools
import json
import random
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from busanhub.db import Columns, PreparedStatement, execute_together
from education import content, grading
from education.models import (
    Certificate,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    QuizAttempt,
)
from education.permissions import require_teacher
from education.selectors import grading_question, learner_state

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


def _check_seat(course: Course, *, seats: int = 1) -> None:
    if course.capacity is not None:
        taken = course.enrollments.filter(status__in=SEAT_STATUSES).count()
        if taken + seats > course.capacity:
            raise ValidationError({"course": _("This course is full.")})


@transaction.atomic
def enrollment_create(*, course: Course, student) -> Enrollment:
    """Enrolls a student (active for open courses, pending for courses by approval).

    Race-safe: the course row is locked while seats are counted. Refused (ValidationError
    naming `course`, nothing written) when already enrolled, full, closed, unpublished, over,
    or when a prerequisite course is not completed. `enrollments_create` for one student.
    """
    return enrollments_create(course=course, students=[student])[0]


@transaction.atomic
def enrollments_create(*, course: Course, students: Sequence) -> list[Enrollment]:
    """Enrolls students in one course, all or none, by the rules of `enrollment_create`
    (the first refusal, in the students' order, refuses them all and writes nothing); a
    student named twice is refused as already enrolled. Atomic and race-safe: the course row
    is locked while enrolments and seats are counted. A few queries for the whole list, not per
    student (an import of a class list; bench/city.py's enrolments)."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    if not course.is_published:
        raise ValidationError({"course": _("This course is not open for enrollment.")})
    if not course.is_enrollment_open or course.ends_on < timezone.localdate():
        raise ValidationError({"course": _("Enrollment in this course is closed.")})
    student_pks = [student.pk for student in students]
    enrolled = Enrollment.objects.filter(course=course, student__in=student_pks)
    if len(set(student_pks)) < len(student_pks) or enrolled.exists():
        message = _("You are already enrolled in this course.")
        raise ValidationError({"course": ValidationError(message, code="already_enrolled")})
    prerequisites = list(course.prerequisites.all())
    if prerequisites:
        completed = set(
            Enrollment.objects.filter(
                student__in=student_pks,
                course__in=prerequisites,
                status=Enrollment.Status.COMPLETED,
            ).values_list("student_id", "course_id")
        )
        for pk in student_pks:
            missing = [c for c in prerequisites if (pk, c.pk) not in completed]
            if missing:
                raise ValidationError(
                    {
                        "course": _("Complete these courses first: %(titles)s")
                        % {"titles": ", ".join(c.title for c in missing)}
                    }
                )
    _check_seat(course, seats=len(student_pks))
    status = (
        Enrollment.Status.ACTIVE
        if course.enrollment_policy == Course.Enrollment.OPEN
        else Enrollment.Status.PENDING
    )
    enrollments = [
        Enrollment(course=course, student=student, status=status) for student in students
    ]
    for enrollment in enrollments:
        # The course and students exist (the lock read the course; the caller holds the
        # students) and uniqueness was counted above under the lock, its constraint behind it:
        # the per-row queries full_clean would repeat for each student are left out.
        enrollment.full_clean(exclude=["course", "student"], validate_unique=False)
    return Enrollment.objects.bulk_create(enrollments)


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
    _require_learner_of(enrollment, lesson.module.course_id)


def _require_learner_of(enrollment: Enrollment, course_id: int) -> None:
    if enrollment.status not in (Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED):
        raise PermissionDenied(_("You are not enrolled in this course."))
    if course_id != enrollment.course_id:
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


# An attempt's foreign keys and public id, left out of its full_clean: the enrollment was just
# locked and the lesson read, so both rows exist; the public id is a fresh uuid4, and the number
# is counted under the enrollment's lock with the unique constraint behind it. Each check is a
# query (four of a quiz request's dozen).
ATTEMPT_CHECKED_BY_CALLER = ["enrollment", "lesson", "public_id"]


# A quiz start's and submit's own statements: built by the ORM, they cost more Python than the
# rest of the request's own work (issue #19). Table and column names come from the models.
# answers and layout left out: the lock statement reads the layout as text, decoded here
_ATTEMPT = Columns(QuizAttempt, "a", without_json=True)
_ENROLLMENT = Columns(Enrollment, "e")


@functools.cache
def _enrollment_lock_statement() -> PreparedStatement:
    return PreparedStatement(
        "education_enrollment_lock",
        f"SELECT id FROM {Enrollment._meta.db_table} "  # noqa: S608
        "WHERE id = %(enrollment)s FOR UPDATE",
        params=[("enrollment", "bigint")],
    )


@functools.cache
def _attempts_count_statement() -> PreparedStatement:
    return PreparedStatement(
        "education_attempts_count",
        f"SELECT count(*), min(id) FILTER (WHERE submitted_at IS NULL) "  # noqa: S608
        f"FROM {QuizAttempt._meta.db_table} "
        "WHERE enrollment_id = %(enrollment)s AND lesson_id = %(lesson)s",
        params=[("enrollment", "bigint"), ("lesson", "bigint")],
    )


@functools.cache
def _attempt_lock_statement() -> PreparedStatement:
    # The attempt and its enrollment, both locked (the enrollment's lock serializes the
    # completion check); the layout as text, decoded here as JSONField would.
    return PreparedStatement(
        "education_attempt_lock",
        f"SELECT {_ATTEMPT.sql}, a.layout::text, {_ENROLLMENT.sql} "  # noqa: S608
        f"FROM {QuizAttempt._meta.db_table} AS a "
        f"JOIN {Enrollment._meta.db_table} AS e ON e.id = a.enrollment_id "
        "WHERE a.id = %(attempt)s FOR UPDATE OF a, e",
        params=[("attempt", "bigint")],
    )


@functools.cache
def _attempt_grade_statement() -> PreparedStatement:
    return PreparedStatement(
        "education_attempt_grade",
        f"UPDATE {QuizAttempt._meta.db_table} "  # noqa: S608
        "SET answers = %(answers)s, score = %(score)s, submitted_at = %(submitted_at)s "
        "WHERE id = %(attempt)s",
        params=[
            ("attempt", "bigint"),
            ("answers", "jsonb"),
            ("score", "smallint"),
            ("submitted_at", "timestamptz"),
        ],
    )


@transaction.atomic
def quiz_attempt_start(
    *, enrollment: Enrollment, lesson: Lesson, rng: random.Random | None = None
) -> QuizAttempt:
    """Starts an attempt with shuffled questions and choices; returns an unfinished one if any.

    Refused once the lesson's attempt limit is used up (nothing written). Race-safe: the
    enrollment row is locked while attempts are counted.
    """
    _require_learner(enrollment, lesson)
    if lesson.kind != Lesson.Kind.QUIZ:
        raise ValidationError({"lesson": _("This lesson is not a quiz.")})
    # Locked first, counted after, in one round trip: each statement of a multi-statement
    # query takes its own snapshot (READ COMMITTED), so the count sees every attempt committed
    # by whoever held the lock before.
    with connection.cursor() as cursor:
        rows = execute_together(
            cursor,
            [
                _enrollment_lock_statement().bind(enrollment=enrollment.pk),
                _attempts_count_statement().bind(enrollment=enrollment.pk, lesson=lesson.pk),
            ],
        )
    ((used, open_pk),) = rows
    if open_pk is not None:
        return QuizAttempt.objects.get(pk=open_pk)
    if used >= lesson.max_attempts:
        raise ValidationError(
            {"attempt": _("You have used all %(n)d attempts at this quiz.") % {"n": used}}
        )
    shown = grading.layout(
        [(q.pk, [c.pk for c in q.choices]) for q in content.quiz(lesson.pk).questions],
        rng=rng or random.SystemRandom(),
    )
    attempt = QuizAttempt(enrollment=enrollment, lesson=lesson, number=used + 1, layout=shown)
    attempt.full_clean(exclude=ATTEMPT_CHECKED_BY_CALLER)
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
    when the attempt was already submitted or an answer is missing or malformed. Locks the
    attempt and its enrollment in one statement (the enrollment's lock serializes the
    completion check, as `enrollment_check_completion`'s own lock did).
    """
    with connection.cursor() as cursor:
        rows = _attempt_lock_statement().execute(cursor, attempt=attempt.pk)
    if not rows:
        raise QuizAttempt.DoesNotExist("QuizAttempt matching query does not exist.")
    (row,) = rows
    attempt = _ATTEMPT.instance(row)
    attempt.layout = json.loads(row[len(_ATTEMPT)])
    enrollment = _ENROLLMENT.instance(row, len(_ATTEMPT) + 1)
    attempt.enrollment = enrollment
    quiz = content.quiz(attempt.lesson_id)
    _require_learner_of(enrollment, quiz.course_id)
    if attempt.submitted_at is not None:
        raise ValidationError({"attempt": _("This attempt has already been submitted.")})
    answers = _normalize_answers(answers)
    try:
        result = grading.grade([grading_question(q) for q in quiz.questions], answers)
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
    attempt.full_clean(exclude=[*ATTEMPT_CHECKED_BY_CALLER, "number"])
    with connection.cursor() as cursor:
        _attempt_grade_statement().execute(
            cursor,
            attempt=attempt.pk,
            answers=json.dumps(attempt.answers),
            score=attempt.score,
            submitted_at=attempt.submitted_at,
        )
    _complete_if_met(enrollment)
    return attempt


def completion_input(enrollment: Enrollment) -> grading.CompletionInput:
    """The completion rule's inputs: the course's required lessons and pass mark (cached
    content), the student's readings, labs and best quiz scores (one query)."""
    rules = content.course_rules(enrollment.course_id)
    state = learner_state(enrollment)
    quizzes = [pk for pk, kind in rules.required if kind == Lesson.Kind.QUIZ]
    return grading.CompletionInput(
        required_readings=frozenset(pk for pk, kind in rules.required if kind == Lesson.Kind.TEXT),
        readings_done=frozenset(state.done),
        labs=frozenset(pk for pk, kind in rules.required if kind == Lesson.Kind.LAB),
        labs_passed=frozenset(state.labs_passed),
        quiz_best={pk: state.quiz_best.get(pk) for pk in quizzes},
        pass_mark=rules.pass_mark,
    )


@transaction.atomic
def enrollment_check_completion(*, enrollment: Enrollment) -> bool:
    """Completes the enrollment when the course's rule is met and queues its certificate.

    Idempotent: a completed enrollment stays completed and gets one certificate, issued in the
    course's batch by `tasks.certificates_issue_for_course` after commit.
    """
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    return _complete_if_met(enrollment)


def _complete_if_met(enrollment: Enrollment) -> bool:
    """enrollment_check_completion's work, for a caller in a transaction that locked the
    enrollment row (and read it after the lock)."""
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
