import csv
import io

import pytest
from django.urls import reverse

from education import services
from education.models import Certificate, Course, Enrollment, QuizAttempt
from education.tests.factories import (
    PASSWORD,
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
def course():
    course = CourseFactory(title="Merkle trees")
    module = ModuleFactory(course=course)
    LessonFactory(
        module=module, title="Trees", body="# Trees\n\n<script>alert(1)</script>A **root** commits."
    )
    quiz_for(module)
    return course


@pytest.fixture
def student(client):
    user = UserFactory(preferred_language="en")
    client.force_login(user)
    return user


def test_the_catalogue_searches_and_filters(client, course):
    CourseFactory(title="Anchoring", summary="Roots on chain.", language="ko")
    response = client.get(reverse("education:home"), {"q": "merkle"})
    assert response.status_code == 200
    assert [c.title for c in response.context["courses"]] == ["Merkle trees"]
    response = client.get(reverse("education:home"), {"language": "ko"})
    assert [c.title for c in response.context["courses"]] == ["Anchoring"]


def test_a_bad_filter_is_ignored_not_an_error(client, course):
    response = client.get(reverse("education:home"), {"level": "guru"})
    assert response.status_code == 200
    assert response.context["form"].errors["level"]


def test_an_unpublished_course_is_404(client):
    draft = CourseFactory(is_published=False)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_enrolling_from_the_course_page(client, course, student):
    response = client.post(reverse("education:enroll", args=[course.public_id]), follow=True)
    assert response.status_code == 200
    assert Enrollment.objects.get(student=student).status == "active"
    assert "You are enrolled." in response.content.decode()


def test_enrolling_twice_shows_the_refusal_in_korean(client, course):
    user = UserFactory()
    client.force_login(user)
    services.enrollment_create(course=course, student=user)
    response = client.post(
        reverse("education:enroll", args=[course.public_id]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 200
    assert "이미 이 과정에 등록되어 있습니다." in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_a_lesson_is_rendered_sanitised_for_enrolled_students_only(client, course, student):
    lesson = course.modules.get().lessons.get(kind="text")
    assert client.get(lesson.get_absolute_url()).status_code == 403

    services.enrollment_create(course=course, student=student)
    response = client.get(lesson.get_absolute_url())

    html = response.content.decode()
    assert "<h2>Trees</h2>" in html and "<strong>root</strong>" in html
    assert "<script>alert" not in html


def test_the_lesson_player_completes_a_reading_and_a_quiz(client, course, student):
    enrollment = services.enrollment_create(course=course, student=student)
    module = course.modules.get()
    reading = module.lessons.get(kind="text")
    quiz = module.lessons.get(kind="quiz")

    client.post(reading.get_absolute_url(), {"action": "complete"})
    client.post(quiz.get_absolute_url(), {"action": "start"})
    attempt = QuizAttempt.objects.get()
    form = {"action": "submit", "attempt": str(attempt.public_id)}
    for question_id, answer in right_answers(quiz).items():
        form[f"q{question_id}"] = answer
    response = client.post(quiz.get_absolute_url(), form, follow=True)

    assert "Your score: 100%" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    page = client.get(reverse("education:my-learning")).content.decode()
    assert "Your certificate is being issued." in page


def test_a_quiz_form_with_a_missing_answer_is_refused(client, course, student):
    services.enrollment_create(course=course, student=student)
    quiz = course.modules.get().lessons.get(kind="quiz")
    client.post(quiz.get_absolute_url(), {"action": "start"})
    attempt = QuizAttempt.objects.get()
    response = client.post(
        quiz.get_absolute_url(),
        {"action": "submit", "attempt": str(attempt.public_id)},
        follow=True,
    )
    assert "answer every question" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def _issue(course, user) -> Certificate:
    enrollment = services.enrollment_create(course=course, student=user)
    module = course.modules.get()
    services.lesson_complete(enrollment=enrollment, lesson=module.lessons.get(kind="text"))
    quiz = module.lessons.get(kind="quiz")
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))
    services.certificates_issue(course=course)
    return Certificate.objects.get(enrollment=enrollment)


def test_the_public_certificate_page_shows_it_verified_with_share_link_and_qr(client, course):
    certificate = _issue(course, UserFactory())
    response = client.get(certificate.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Verified: this certificate is authentic and valid." in html
    assert f"http://testserver/certificates/{certificate.public_id}" in html
    assert "data:image/svg+xml;base64," in html
    assert reverse("chain:verify-digest", args=[response.context["anchor_digest"]]) in html
    assert "Revoke this certificate" not in html


def test_an_instructor_revokes_from_the_certificate_page(client, course):
    certificate = _issue(course, UserFactory())
    instructor = InstructorFactory(university=course.university, user__preferred_language="en")
    client.force_login(instructor.user)

    client.post(
        reverse("education:certificate-revoke", args=[certificate.public_id]),
        {"reason": "Copied the lab"},
    )
    client.logout()
    html = client.get(certificate.get_absolute_url()).content.decode()

    assert "Not valid" in html and "revoked by the university" in html
    certificate.refresh_from_db()
    assert certificate.status == "revoked"


def test_a_student_cannot_revoke(client, course, student):
    certificate = _issue(course, UserFactory())
    response = client.post(
        reverse("education:certificate-revoke", args=[certificate.public_id]), {"reason": "x"}
    )
    assert response.status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == "issued"


def test_the_gradebook_csv(client, course):
    learner = UserFactory(email="minji@example.kr", name="=HYPERLINK()")
    _issue(course, learner)
    client.force_login(InstructorFactory(university=course.university).user)

    response = client.get(reverse("education:gradebook-csv", args=[course.public_id]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["email", "name", "status", "readings_done", "Quiz (quiz)", "certificate"]
    assert rows[1] == ["minji@example.kr", "'=HYPERLINK()", "completed", "1", "100", "issued"]


def test_an_instructor_cannot_edit_another_universitys_course(client, course):
    outsider = InstructorFactory(university=UniversityFactory())
    client.force_login(outsider.user)
    url = reverse("education:course-edit", args=[course.public_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "Hijacked"}).status_code == 403
    assert (
        client.get(reverse("education:gradebook-csv", args=[course.public_id])).status_code == 403
    )
    course.refresh_from_db()
    assert course.title == "Merkle trees"


def test_an_instructor_edits_their_course_and_bad_dates_are_a_form_error(client, course):
    instructor = InstructorFactory(university=course.university, user__preferred_language="en")
    client.force_login(instructor.user)
    url = reverse("education:course-edit", args=[course.public_id])
    data = {
        "action": "course",
        "title": "Merkle trees II",
        "summary": "s",
        "level": "advanced",
        "language": "en",
        "enrollment_policy": "open",
        "is_enrollment_open": "on",
        "capacity": "",
        "starts_on": "2026-12-01",
        "ends_on": "2026-11-01",
        "pass_mark": "70",
    }
    bad = client.post(url, data)
    assert bad.status_code == 200
    course.refresh_from_db()
    assert course.title == "Merkle trees"

    data["ends_on"] = "2027-01-31"
    assert client.post(url, data).status_code == 302
    course.refresh_from_db()
    assert (course.title, course.level, course.pass_mark) == ("Merkle trees II", "advanced", 70)


def test_teaching_page_lists_own_courses_and_approves(client):
    course = CourseFactory(enrollment_policy=Course.Enrollment.APPROVAL)
    enrollment = services.enrollment_create(course=course, student=UserFactory())
    instructor = InstructorFactory(university=course.university)
    client.force_login(instructor.user)

    page = client.get(reverse("education:teach"))
    assert list(page.context["courses"]) == [course]
    client.post(
        reverse("education:enrollment-decide", args=[enrollment.public_id]), {"approve": "1"}
    )
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


def test_the_teaching_page_is_not_for_students(client, student):
    assert client.get(reverse("education:teach")).status_code == 403


def test_the_dashboard_shows_my_learning(client, course, student):
    services.enrollment_create(course=course, student=student)
    response = client.get(reverse("accounts:dashboard"))
    assert response.status_code == 200
    assert "Merkle trees" in response.content.decode()


def test_demo_seed_is_idempotent(db):
    from education.demo import seed

    users = {
        "instructor": UserFactory(),
        "staff-education": UserFactory(roles=["staff-education"]),
        "student": UserFactory(),
    }
    out = io.StringIO()
    seed(stdout=out, users=users)
    seed(stdout=out, users=users)
    assert sorted(Course.objects.values_list("code", flat=True)) == [
        "pknu-bc101",
        "pknu-bh100",
        "pnu-vc201",
    ]
    assert Course.objects.filter(is_published=True).count() == 3
    # the demo student completed the short course and holds its certificate, issued once: an
    # Open Badge credential in their B Pass, listed in the course's anchored batch
    certificate = Certificate.objects.select_related("credential", "enrollment").get()
    assert certificate.enrollment.student == users["student"]
    assert certificate.enrollment.status == Enrollment.Status.COMPLETED
    assert certificate.status == Certificate.Status.ISSUED
    assert certificate.credential.holder == users["student"]
    assert certificate.credential.document["type"] == [
        "VerifiableCredential",
        "OpenBadgeCredential",
    ]
    assert certificate.batch.version == 1
    assert PASSWORD


def test_feedback_after_a_numeric_answer_with_a_decimal_comma(client, course, student):
    services.enrollment_create(course=course, student=student)
    quiz = course.modules.get().lessons.get(kind="quiz")
    client.post(quiz.get_absolute_url(), {"action": "start"})
    attempt = QuizAttempt.objects.get()
    form = {"action": "submit", "attempt": str(attempt.public_id)}
    for question_id, answer in right_answers(quiz).items():
        form[f"q{question_id}"] = answer
    numeric = quiz.questions.get(kind="numeric")
    form[f"q{numeric.pk}"] = "8,0"

    response = client.post(quiz.get_absolute_url(), form, follow=True)

    assert response.status_code == 200
    assert [row["correct"] for row in response.context["feedback"]] == [True, True, True]


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("ko", "부경대학교", "Pukyong National University"),
        ("en", "Pukyong National University", "부경대학교"),
    ],
)
def test_the_university_is_named_in_the_pages_language(client, language, shown, hidden):
    university = UniversityFactory(name="Pukyong National University", name_ko="부경대학교")
    course = CourseFactory(title="Merkle trees", university=university)

    for url in (reverse("education:home"), course.get_absolute_url()):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert shown in html
        assert hidden not in html
