from datetime import datetime

import pytest
from rest_framework.test import APIClient

from education import services
from education.models import Certificate, Enrollment, QuizAttempt
from education.tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    ModuleFactory,
    UniversityFactory,
    UserFactory,
    quiz_for,
    right_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def student():
    return UserFactory()


@pytest.fixture
def course():
    course = CourseFactory(title="Hashing 101", language="ko")
    module = ModuleFactory(course=course)
    LessonFactory(module=module, title="SHA-256")
    quiz_for(module)
    return course


def test_the_catalogue_is_public_filtered_and_has_constant_queries(
    client, course, django_assert_max_num_queries
):
    for _ in range(5):
        CourseFactory(language="en")
    CourseFactory(is_published=False, title="Hashing draft")

    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/education/courses/", {"q": "hash", "language": "ko"})

    assert response.status_code == 200
    assert [c["title"] for c in response.json()["results"]] == ["Hashing 101"]
    assert response.json()["results"][0]["university"]["slug"] == course.university.slug


def test_the_catalogue_filters_by_university_and_level(client, course):
    other = CourseFactory(level="advanced")
    response = client.get(
        "/api/v1/education/courses/", {"university": other.university.slug, "level": "advanced"}
    )
    assert [c["id"] for c in response.json()["results"]] == [str(other.public_id)]


def test_course_detail_lists_lessons(client, course):
    response = client.get(f"/api/v1/education/courses/{course.public_id}/")
    assert response.status_code == 200
    assert [lesson["kind"] for lesson in response.json()["lessons"]] == ["text", "quiz"]


def test_enrolling_needs_a_login(client, course):
    response = client.post(f"/api/v1/education/courses/{course.public_id}/enrollments/")
    assert response.status_code == 401
    assert Enrollment.objects.count() == 0


def test_enrolling_twice_answers_400_naming_the_course(client, course, student):
    client.force_authenticate(student)
    first = client.post(f"/api/v1/education/courses/{course.public_id}/enrollments/")
    second = client.post(f"/api/v1/education/courses/{course.public_id}/enrollments/")
    assert first.status_code == 201
    assert first.json()["status"] == "active"
    assert second.status_code == 400
    assert second.json()["course"] == ["You are already enrolled in this course."]
    assert second.json()["errors"] == [
        {
            "field": "course",
            "code": "already_enrolled",
            "message": "You are already enrolled in this course.",
        }
    ]
    assert Enrollment.objects.count() == 1


def test_a_whole_quiz_through_the_api(client, course, student):
    client.force_authenticate(student)
    client.post(f"/api/v1/education/courses/{course.public_id}/enrollments/")
    reading = course.modules.get().lessons.get(kind="text")
    quiz = course.modules.get().lessons.get(kind="quiz")

    assert (
        client.post(f"/api/v1/education/lessons/{reading.public_id}/complete/").status_code == 204
    )
    started = client.post(f"/api/v1/education/lessons/{quiz.public_id}/attempts/")
    assert started.status_code == 201
    body = started.json()
    assert "is_correct" not in str(body) and "numeric_answer" not in str(body)
    submitted = client.post(
        f"/api/v1/education/attempts/{body['id']}/submit/",
        {"answers": right_answers(quiz)},
        format="json",
    )

    assert submitted.status_code == 200
    assert submitted.json()["score"] == 100
    assert Enrollment.objects.get(student=student).status == "completed"
    learning = client.get("/api/v1/education/me/learning/").json()
    assert learning[0]["percent"] == 100
    assert learning[0]["certificate"] == str(Certificate.objects.get().public_id)


def test_bad_answers_are_400_and_change_nothing(client, course, student):
    client.force_authenticate(student)
    client.post(f"/api/v1/education/courses/{course.public_id}/enrollments/")
    quiz = course.modules.get().lessons.get(kind="quiz")
    attempt = client.post(f"/api/v1/education/lessons/{quiz.public_id}/attempts/").json()

    for payload in [{}, {"answers": "all"}, {"answers": {"x": [1]}}, {"answers": {}}]:
        response = client.post(
            f"/api/v1/education/attempts/{attempt['id']}/submit/", payload, format="json"
        )
        assert response.status_code == 400, payload
        assert "answers" in response.json()
    assert QuizAttempt.objects.get().submitted_at is None


def test_another_student_cannot_submit_my_attempt(client, course, student):
    client.force_authenticate(student)
    client.post(f"/api/v1/education/courses/{course.public_id}/enrollments/")
    quiz = course.modules.get().lessons.get(kind="quiz")
    attempt = client.post(f"/api/v1/education/lessons/{quiz.public_id}/attempts/").json()

    client.force_authenticate(UserFactory())
    response = client.post(
        f"/api/v1/education/attempts/{attempt['id']}/submit/",
        {"answers": right_answers(quiz)},
        format="json",
    )
    assert response.status_code == 404
    message = "No QuizAttempt matches the given query."
    assert response.json() == {
        "detail": message,
        "errors": [{"code": "not_found", "field": None, "message": message}],
    }
    assert QuizAttempt.objects.get().submitted_at is None


def test_a_lesson_of_a_course_i_am_not_enrolled_in_is_404(client, course, student):
    client.force_authenticate(student)
    quiz = course.modules.get().lessons.get(kind="quiz")
    response = client.post(f"/api/v1/education/lessons/{quiz.public_id}/attempts/")
    assert response.status_code == 404
    message = "No Enrollment matches the given query."
    assert response.json() == {
        "detail": message,
        "errors": [{"code": "not_found", "field": None, "message": message}],
    }
    assert not QuizAttempt.objects.exists()


def test_a_pending_or_refused_enrollment_cannot_start_a_quiz(client, course, student):
    client.force_authenticate(student)
    enrollment = services.enrollment_create(course=course, student=student)
    quiz = course.modules.get().lessons.get(kind="quiz")
    for status in (Enrollment.Status.PENDING, Enrollment.Status.REJECTED):
        Enrollment.objects.filter(pk=enrollment.pk).update(status=status)
        response = client.post(f"/api/v1/education/lessons/{quiz.public_id}/attempts/")
        assert response.status_code == 404, status
    assert not QuizAttempt.objects.exists()


def test_a_submitted_attempt_is_stored_as_graded_and_answered_as_stored(client, course, student):
    # Given a started attempt
    client.force_authenticate(student)
    client.post(f"/api/v1/education/courses/{course.public_id}/enrollments/")
    quiz = course.modules.get().lessons.get(kind="quiz")
    started = client.post(f"/api/v1/education/lessons/{quiz.public_id}/attempts/").json()
    answers = right_answers(quiz)
    wrong = next(q for q in quiz.questions.all() if q.kind == "single")
    answers[str(wrong.pk)] = [next(c.pk for c in wrong.choices.all() if not c.is_correct)]

    # when it is submitted
    response = client.post(
        f"/api/v1/education/attempts/{started['id']}/submit/", {"answers": answers}, format="json"
    )

    # then the row holds the answers, the score and the time, and the answer shows that row
    attempt = QuizAttempt.objects.get()
    assert attempt.answers == answers
    assert attempt.score == 66
    body = response.json()
    assert body["id"] == started["id"] == str(attempt.public_id)
    assert body["number"] == 1 and body["score"] == 66
    assert datetime.fromisoformat(body["submitted_at"]) == attempt.submitted_at
    assert [q["id"] for q in body["questions"]] == [q["id"] for q in started["questions"]]
    assert [[c["id"] for c in q["choices"]] for q in body["questions"]] == [
        [c["id"] for c in q["choices"]] for q in started["questions"]
    ]
    assert all("feedback" in q for q in body["questions"])
    assert Enrollment.objects.get(student=student).status == "active"  # the reading is not done

    # and a second submit is refused and changes nothing
    again = client.post(
        f"/api/v1/education/attempts/{started['id']}/submit/",
        {"answers": right_answers(quiz)},
        format="json",
    )
    assert again.status_code == 400
    assert QuizAttempt.objects.get().score == 66


def _issued(course, student):
    enrollment = services.enrollment_create(course=course, student=student)
    module = course.modules.get()
    services.lesson_complete(enrollment=enrollment, lesson=module.lessons.get(kind="text"))
    quiz = module.lessons.get(kind="quiz")
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))
    services.certificates_issue(course=course)
    return Certificate.objects.get(enrollment=enrollment)


def test_the_certificate_json_is_accepted_by_the_vc_api_verifier(client, course, student):
    certificate = _issued(course, student)

    public = client.get(f"/api/v1/education/certificates/{certificate.public_id}/")
    download = client.get(f"/certificates/{certificate.public_id}.json")
    client.force_authenticate(UserFactory())
    verified = client.post(
        "/vc-api/credentials/verify", {"verifiableCredential": download.json()}, format="json"
    )

    assert public.status_code == 200
    assert public.json()["credential"] == download.json()
    assert verified.status_code == 200, verified.content
    assert verified.json()["errors"] == []


def test_revocation_through_the_api_needs_the_universitys_instructor(client, course, student):
    certificate = _issued(course, student)
    url = f"/api/v1/education/certificates/{certificate.public_id}/revoke/"

    client.force_authenticate(InstructorFactory(university=UniversityFactory()).user)
    assert client.post(url, {"reason": "x"}, format="json").status_code == 403
    client.force_authenticate(InstructorFactory(university=course.university).user)
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    certificate.refresh_from_db()
    assert certificate.status == "issued"

    revoked = client.post(url, {"reason": "Cheating"}, format="json")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"


def test_the_gradebook_is_for_the_universitys_instructors_only(
    client, course, student, django_assert_max_num_queries
):
    for _ in range(3):
        services.enrollment_create(course=course, student=UserFactory())
    client.force_authenticate(student)
    assert client.get(f"/api/v1/education/courses/{course.public_id}/gradebook/").status_code == 403

    client.force_authenticate(InstructorFactory(university=course.university).user)
    with django_assert_max_num_queries(14):
        response = client.get(f"/api/v1/education/courses/{course.public_id}/gradebook/")
    assert response.status_code == 200
    assert len(response.json()["rows"]) == 3
    assert [c["kind"] for c in response.json()["columns"]] == ["quiz"]
