import datetime
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from busanhub.chain.models import AnchorLeaf
from education import services
from education.models import Certificate, Course, Enrollment, LessonProgress, QuizAttempt
from education.tests.factories import (
    CourseFactory,
    EducationStaffFactory,
    InstructorFactory,
    LessonFactory,
    ModuleFactory,
    UniversityFactory,
    UserFactory,
    quiz_for,
    right_answers,
    wrong_answers,
)
from identity import selectors as identity_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return CourseFactory()


@pytest.fixture
def student():
    return UserFactory(roles=["student"])


# --- authoring -----------------------------------------------------------------------------


def test_an_instructor_creates_publishes_and_anchors_a_course_of_their_university():
    instructor = InstructorFactory()
    course = services.course_create(
        by=instructor.user,
        university=instructor.university,
        code="hash-101",
        title="Hashing 101",
        summary="Digests.",
        level="beginner",
        language="ko",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2027, 2, 1),
        capacity=30,
    )
    module = services.module_create(course=course, by=instructor.user, title="Hashing")
    lesson = services.lesson_create(
        module=module, by=instructor.user, title="SHA-256", body="# SHA-256"
    )

    services.course_publish(course=course, by=instructor.user)

    course.refresh_from_db()
    assert course.is_published is True
    assert course.version == 1
    leaf = AnchorLeaf.objects.get(kind="education.course", ref=str(course.public_id))
    assert leaf.is_public is True
    assert leaf.envelope["data"]["lessons"] == [
        {"id": str(lesson.public_id), "title": "SHA-256", "kind": "text"}
    ]


def test_an_update_of_a_published_course_anchors_a_new_version(course):
    instructor = InstructorFactory(university=course.university)
    LessonFactory(module=ModuleFactory(course=course))
    services.course_publish(course=course, by=instructor.user)

    services.course_update(course=course, by=instructor.user, title="Merkle trees")

    assert list(
        AnchorLeaf.objects.filter(kind="education.course", ref=str(course.public_id))
        .order_by("version")
        .values_list("version", flat=True)
    ) == [1, 2]


def test_an_instructor_cannot_edit_another_universitys_course(course):
    lesson = LessonFactory(module=ModuleFactory(course=course), title="Original")
    outsider = InstructorFactory(university=UniversityFactory())

    with pytest.raises(PermissionDenied):
        services.course_update(course=course, by=outsider.user, title="Hijacked")
    with pytest.raises(PermissionDenied):
        services.lesson_update(lesson=lesson, by=outsider.user, body="Hijacked")
    with pytest.raises(PermissionDenied):
        services.module_create(course=course, by=outsider.user, title="Extra")

    course.refresh_from_db()
    lesson.refresh_from_db()
    assert course.title != "Hijacked"
    assert lesson.body != "Hijacked"
    assert course.modules.count() == 1


def test_education_staff_may_edit_any_course(course):
    staff = EducationStaffFactory()
    services.course_update(course=course, by=staff, summary="New summary")
    course.refresh_from_db()
    assert course.summary == "New summary"


def test_a_plain_student_cannot_author(course, student):
    with pytest.raises(PermissionDenied):
        services.course_update(course=course, by=student, title="Mine")


def test_a_single_choice_question_needs_exactly_one_correct_choice(course):
    staff = EducationStaffFactory()
    quiz = LessonFactory(module=ModuleFactory(course=course), kind="quiz")
    with pytest.raises(ValidationError) as error:
        services.question_create(
            lesson=quiz, by=staff, kind="single", prompt="?", choices=[("a", True), ("b", True)]
        )
    assert "choices" in error.value.message_dict
    assert quiz.questions.count() == 0


# --- enrollment ----------------------------------------------------------------------------


def test_enrolling_in_an_open_course_is_active(course, student):
    enrollment = services.enrollment_create(course=course, student=student)
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_a_course_by_approval_waits_for_the_instructor(student):
    course = CourseFactory(enrollment_policy=Course.Enrollment.APPROVAL)
    instructor = InstructorFactory(university=course.university)
    enrollment = services.enrollment_create(course=course, student=student)
    assert enrollment.status == Enrollment.Status.PENDING

    services.enrollment_decide(enrollment=enrollment, by=instructor.user, approve=True)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE


def _refused(course, student, message):
    before = Enrollment.objects.count()
    with pytest.raises(ValidationError) as error:
        services.enrollment_create(course=course, student=student)
    assert error.value.message_dict["course"][0].startswith(message)
    assert Enrollment.objects.count() == before


def test_enrolling_twice_is_refused(course, student):
    services.enrollment_create(course=course, student=student)
    _refused(course, student, "You are already enrolled")


def test_enrolling_over_capacity_is_refused(student):
    course = CourseFactory(capacity=1)
    services.enrollment_create(course=course, student=UserFactory())
    _refused(course, student, "This course is full.")


def test_enrolling_in_a_closed_course_is_refused(student):
    _refused(
        CourseFactory(is_enrollment_open=False), student, "Enrollment in this course is closed"
    )
    ended = CourseFactory(
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    _refused(ended, student, "Enrollment in this course is closed")
    _refused(CourseFactory(is_published=False), student, "This course is not open")


def test_enrolling_without_the_prerequisites_is_refused_then_allowed(student):
    basics = CourseFactory(title="Hashing basics")
    advanced = CourseFactory()
    advanced.prerequisites.set([basics])
    _refused(advanced, student, "Complete these courses first: Hashing basics")

    Enrollment.objects.create(course=basics, student=student, status="completed")
    assert services.enrollment_create(course=advanced, student=student).status == "active"


def _list_refused(course, students, message):
    before = list(Enrollment.objects.order_by("pk").values_list("course_id", "student_id"))
    with pytest.raises(ValidationError) as error:
        services.enrollments_create(course=course, students=students)
    assert error.value.message_dict["course"][0].startswith(message)
    assert list(Enrollment.objects.order_by("pk").values_list("course_id", "student_id")) == before


def test_a_class_list_is_enrolled_in_a_few_queries_however_long(
    course, django_assert_max_num_queries
):
    # Given a course with a prerequisite and 30 students who completed it
    basics = CourseFactory()
    course.prerequisites.set([basics])
    students = UserFactory.create_batch(30)
    for student in students:
        Enrollment.objects.create(course=basics, student=student, status="completed")

    # When the list is enrolled
    with django_assert_max_num_queries(8):
        enrollments = services.enrollments_create(course=course, students=students)

    # Then each is active in the course, in the list's order
    assert [e.student_id for e in enrollments] == [s.pk for s in students]
    stored = Enrollment.objects.filter(course=course).order_by("pk")
    assert list(stored.values_list("student_id", "status")) == [(s.pk, "active") for s in students]


def test_a_class_list_is_refused_whole_when_one_student_is_refused(course, student):
    # Given a student already enrolled, and a course by prerequisite one student lacks
    services.enrollment_create(course=course, student=student)
    others = UserFactory.create_batch(3)
    basics = CourseFactory(title="Hashing basics")
    advanced = CourseFactory()
    advanced.prerequisites.set([basics])
    for other in others[:2]:
        Enrollment.objects.create(course=basics, student=other, status="completed")

    # Then a list naming the enrolled student, or a student twice, or one without the
    # prerequisite enrols nobody
    _list_refused(course, [*others, student], "You are already enrolled")
    _list_refused(course, [others[0], others[0]], "You are already enrolled")
    _list_refused(advanced, others, "Complete these courses first: Hashing basics")


def test_a_class_list_that_passes_the_capacity_is_refused_whole(student):
    # Given a course of 3 seats, one taken
    course = CourseFactory(capacity=3)
    services.enrollment_create(course=course, student=student)

    # Then 3 more are refused (nobody enrolled) and 2 fill it
    _list_refused(course, UserFactory.create_batch(3), "This course is full.")
    services.enrollments_create(course=course, students=UserFactory.create_batch(2))
    assert Enrollment.objects.filter(course=course).count() == 3


# --- learning ------------------------------------------------------------------------------


@pytest.fixture
def enrolled(course, student):
    module = ModuleFactory(course=course)
    reading = LessonFactory(module=module)
    quiz = quiz_for(module)
    enrollment = services.enrollment_create(course=course, student=student)
    return enrollment, reading, quiz


def test_a_quiz_attempt_is_shuffled_graded_and_final(enrolled):
    enrollment, _reading, quiz = enrolled
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz, rng=random.Random(1))
    assert sorted(item["question"] for item in attempt.layout) == sorted(
        quiz.questions.values_list("pk", flat=True)
    )

    graded = services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))
    assert graded.score == 100

    with pytest.raises(ValidationError) as error:
        services.quiz_attempt_submit(attempt=attempt, answers=wrong_answers(quiz))
    assert "attempt" in error.value.message_dict
    attempt.refresh_from_db()
    assert attempt.score == 100


def test_answering_after_the_attempt_limit_is_refused(enrolled):
    enrollment, _reading, quiz = enrolled
    for _ in range(quiz.max_attempts):
        attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
        services.quiz_attempt_submit(attempt=attempt, answers=wrong_answers(quiz))

    with pytest.raises(ValidationError) as error:
        services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    assert error.value.message_dict["attempt"] == ["You have used all 2 attempts at this quiz."]
    assert QuizAttempt.objects.filter(enrollment=enrollment).count() == 2


def test_a_malformed_answer_names_the_question_and_grades_nothing(enrolled):
    enrollment, _reading, quiz = enrolled
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    answers = right_answers(quiz)
    numeric = quiz.questions.get(kind="numeric")
    answers[str(numeric.pk)] = "eight"

    with pytest.raises(ValidationError) as error:
        services.quiz_attempt_submit(attempt=attempt, answers=answers)
    assert error.value.message_dict["answers"] == [f"Question {numeric.pk}: the answer is a number"]
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and attempt.score is None


def test_a_student_of_another_course_cannot_take_the_quiz(enrolled):
    _enrollment, _reading, quiz = enrolled
    other = services.enrollment_create(course=CourseFactory(), student=UserFactory())
    with pytest.raises(ValidationError):
        services.quiz_attempt_start(enrollment=other, lesson=quiz)
    assert QuizAttempt.objects.count() == 0


def test_completing_readings_and_passing_the_quiz_completes_the_course(
    enrolled, django_capture_on_commit_callbacks
):
    enrollment, reading, quiz = enrolled
    services.lesson_complete(enrollment=enrollment, lesson=reading)
    services.lesson_complete(enrollment=enrollment, lesson=reading)  # idempotent
    assert LessonProgress.objects.filter(enrollment=enrollment).count() == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "active"

    with django_capture_on_commit_callbacks() as callbacks:
        attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
        services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))

    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    assert Certificate.objects.get(enrollment=enrollment).status == "pending"
    assert len(callbacks) == 1


def test_a_failed_quiz_does_not_complete_the_course(enrolled):
    enrollment, reading, quiz = enrolled
    services.lesson_complete(enrollment=enrollment, lesson=reading)
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=attempt, answers=wrong_answers(quiz))
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    assert Certificate.objects.count() == 0


# --- certificates --------------------------------------------------------------------------


def _complete(enrollment, reading, quiz):
    services.lesson_complete(enrollment=enrollment, lesson=reading)
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))


def test_certificates_are_issued_as_one_anchored_batch_of_open_badges(enrolled):
    enrollment, reading, quiz = enrolled
    second = services.enrollment_create(course=enrollment.course, student=UserFactory())
    _complete(enrollment, reading, quiz)
    _complete(second, reading, quiz)

    issued = services.certificates_issue(course=enrollment.course)

    assert len(issued) == 2
    assert services.certificates_issue(course=enrollment.course) == []
    certificate = Certificate.objects.get(enrollment=enrollment)
    document = certificate.credential.document
    assert certificate.status == "issued"
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in document["@context"]
    assert document["issuer"]["id"].endswith(f":issuers:{enrollment.course.university.slug}")
    assert document["credentialSubject"]["id"].startswith("did:key:")
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["name"] == enrollment.course.title
    assert "average of at least 60%" in achievement["criteria"]["narrative"]
    assert [entry["statusPurpose"] for entry in document["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    assert identity_selectors.credential_verification(document)["verified"] is True
    batch_leaf = AnchorLeaf.objects.get(kind="education.certificate_batch")
    assert batch_leaf.version == 1
    assert batch_leaf.envelope["data"]["credentialDigests"] == sorted(
        c.credential.digest for c in Certificate.objects.all()
    )


def test_an_instructor_revokes_a_certificate_with_a_reason(enrolled):
    enrollment, reading, quiz = enrolled
    _complete(enrollment, reading, quiz)
    services.certificates_issue(course=enrollment.course)
    certificate = Certificate.objects.get(enrollment=enrollment)
    instructor = InstructorFactory(university=enrollment.course.university)

    with pytest.raises(ValidationError):
        services.certificate_revoke(certificate=certificate, reason="  ", by=instructor.user)
    outsider = InstructorFactory(university=UniversityFactory())
    with pytest.raises(PermissionDenied):
        services.certificate_revoke(certificate=certificate, reason="fraud", by=outsider.user)
    certificate.refresh_from_db()
    assert certificate.status == "issued"

    services.certificate_revoke(certificate=certificate, reason="Plagiarism", by=instructor.user)

    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    assert certificate.revoked_reason == "Plagiarism"
    result = identity_selectors.credential_verification(certificate.credential.document)
    assert result["verified"] is False and result["status"] == "revoked"


def test_a_new_lesson_in_a_published_course_anchors_a_new_version(course):
    staff = EducationStaffFactory()
    module = ModuleFactory(course=course)
    LessonFactory(module=module)
    services.course_publish(course=course, by=staff)

    services.lesson_create(module=module, by=staff, title="Receipts", body="…")

    leaves = AnchorLeaf.objects.filter(kind="education.course", ref=str(course.public_id))
    assert sorted(leaves.values_list("version", flat=True)) == [1, 2]
    newest = leaves.get(version=2)
    assert [lesson["title"] for lesson in newest.envelope["data"]["lessons"]][-1] == "Receipts"


def test_the_issuing_task_is_idempotent(enrolled):
    from education import tasks

    enrollment, reading, quiz = enrolled
    _complete(enrollment, reading, quiz)

    assert tasks.certificates_issue_for_course.apply(args=[enrollment.course_id]).get() == 1
    assert tasks.certificates_issue_for_course.apply(args=[enrollment.course_id]).get() == 0
    assert tasks.certificates_issue_for_course.apply(args=[987654]).get() == 0
    assert Certificate.objects.filter(status="issued").count() == 1
