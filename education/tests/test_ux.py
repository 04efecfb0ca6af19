"""Issue #18 item 14: the quiz says pass or fail against the pass mark, multi-answer questions
say "select all that apply", the certificate names the student, the lab's start shows its
progress, and the transaction sent from the sandbox fills the hand-in field."""

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from education import services
from education.models import Certificate, QuizAttempt
from education.tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
    quiz_for,
    right_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    course = CourseFactory(title="Merkle trees", pass_mark=70)
    module = ModuleFactory(course=course)
    return quiz_for(module)


def _take(client, quiz, answers) -> str:
    client.post(quiz.get_absolute_url(), {"action": "start"})
    attempt = QuizAttempt.objects.filter(submitted_at=None).get()
    form = {"action": "submit", "attempt": str(attempt.public_id)}
    for question_id, answer in answers.items():
        form[f"q{question_id}"] = answer
    return client.post(quiz.get_absolute_url(), form, follow=True).content.decode()


def _verdict(html: str) -> tuple[str, str]:
    match = re.search(r'id="quiz-verdict" data-passed="(\w+)">([^<]+)<', html)
    assert match, html
    return match.group(1), match.group(2)


@pytest.mark.parametrize(
    ("language", "passed", "failed"),
    [
        ("en", "Passed (pass mark 70%)", "Not passed (pass mark 70%)"),
        ("ko", "합격 (합격 기준 70%)", "불합격 (합격 기준 70%)"),
    ],
)
def test_the_quiz_result_says_pass_or_fail_against_the_pass_mark(
    client, quiz, language, passed, failed
):
    student = UserFactory(preferred_language=language)
    client.force_login(student)
    services.enrollment_create(course=quiz.module.course, student=student)
    right = right_answers(quiz)
    wrong = dict(right)
    numeric = quiz.questions.get(kind="numeric")
    single = quiz.questions.get(kind="single")
    wrong[str(numeric.pk)] = "9"
    wrong[str(single.pk)] = [single.choices.get(is_correct=False).pk]

    # 1 of 3 right: 33 % < 70 %
    assert _verdict(_take(client, quiz, wrong)) == ("false", failed)
    # all right: 100 % >= 70 %
    assert _verdict(_take(client, quiz, right)) == ("true", passed)


def test_multi_answer_questions_say_select_all_that_apply(client, quiz):
    student = UserFactory(preferred_language="en")
    client.force_login(student)
    services.enrollment_create(course=quiz.module.course, student=student)
    client.post(quiz.get_absolute_url(), {"action": "start"})

    html = client.get(quiz.get_absolute_url()).content.decode()

    legends = re.findall(r"<legend>(.*?)</legend>", html, re.S)
    hinted = [legend for legend in legends if "Select all that apply" in legend]
    assert len(legends) == 3 and len(hinted) == 1
    assert "Which are hash functions?" in hinted[0]
    multiple = quiz.questions.get(kind="multiple")
    assert html.count('type="checkbox" id="c') == multiple.choices.count()


@pytest.mark.parametrize(
    ("name", "email", "shown"),
    [("김지우", "jiwoo@example.kr", "김지우"), ("", "dongbaek.lee@example.kr", "dongbaek.lee")],
)
def test_the_certificate_shows_the_students_name_or_the_email_local_part(quiz, name, email, shown):
    course = quiz.module.course
    student = UserFactory(name=name, email=email)
    enrollment = services.enrollment_create(course=course, student=student)
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))
    services.certificates_issue(course=course)
    certificate = Certificate.objects.get(enrollment=enrollment)

    html = Client().get(certificate.get_absolute_url()).content.decode()

    assert f'<dd id="certificate-student">{shown}</dd>' in html
    assert email not in html


@pytest.fixture
def anchor_lab(chain):
    course = CourseFactory()
    lesson = LessonFactory(
        module=ModuleFactory(course=course), kind="lab", lab_task="anchor_digest", body=""
    )
    student = UserFactory(preferred_language="en")
    enrollment = services.enrollment_create(course=course, student=student)
    return lesson, enrollment


def test_the_lab_start_posts_with_htmx_and_shows_its_progress(client, anchor_lab):
    lesson, enrollment = anchor_lab
    client.force_login(enrollment.student)

    html = client.get(lesson.get_absolute_url()).content.decode()
    form = re.search(r'<form[^>]*class="edu-lab-start"[^>]*>', html).group(0)
    assert f'hx-post="{lesson.get_absolute_url()}"' in form
    assert 'hx-disabled-elt="find button"' in form
    assert 'class="htmx-indicator edu-lab-progress" role="status"' in html

    # htmx's request: the lab opens and the answer sends the page to load in full
    response = client.post(
        lesson.get_absolute_url(), {"action": "lab-open"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == lesson.get_absolute_url()
    assert enrollment.labs.count() == 1
    # without JavaScript: the plain POST redirects as before
    assert client.post(lesson.get_absolute_url(), {"action": "lab-open"}).status_code == 302


def test_sending_from_the_sandbox_fills_the_transaction_field(client, anchor_lab):
    lesson, enrollment = anchor_lab
    client.force_login(enrollment.student)
    client.post(lesson.get_absolute_url(), {"action": "lab-open"})

    response = client.post(
        lesson.get_absolute_url(), {"action": "lab-anchor", "text": "my digest"}, follow=True
    )

    html = response.content.decode()
    tx_hash = re.search(r"Anchored in transaction (0x[0-9a-f]{64})", html).group(1)
    assert re.search(rf'name="tx_hash" value="{tx_hash}"', html)
    # another student's page is not filled with it
    other = UserFactory()
    services.enrollment_create(course=lesson.module.course, student=other)
    other_client = Client()
    other_client.force_login(other)
    other_client.post(lesson.get_absolute_url(), {"action": "lab-open"})
    assert tx_hash not in other_client.get(lesson.get_absolute_url()).content.decode()


def test_my_learning_csv_lists_only_my_courses_and_certificates(quiz):
    course = quiz.module.course
    me, other = UserFactory(name="김지우"), UserFactory()
    enrollment = services.enrollment_create(course=course, student=me)
    services.enrollment_create(course=course, student=other)
    attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=attempt, answers=right_answers(quiz))
    services.certificates_issue(course=course)
    certificate = Certificate.objects.get(enrollment=enrollment)
    client = Client()
    client.force_login(me)

    response = client.get(reverse("education:my-learning-csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["course"], r["status"], r["certificate_status"]) for r in rows] == [
        ("Merkle trees", "completed", certificate.status)
    ]
    assert rows[0]["certificate_url"].endswith(certificate.get_absolute_url())
    assert rows[0]["progress_percent"] == "100"
    anonymous = Client().get(reverse("education:my-learning-csv"))
    assert anonymous.status_code == 302


def test_my_learning_and_the_catalogue_are_paginated(client):
    me = UserFactory(preferred_language="en")
    courses = [CourseFactory(title=f"Course {n:02d}") for n in range(22)]
    for course in courses:
        services.enrollment_create(course=course, student=me)
    client.force_login(me)

    mine = client.get(reverse("education:my-learning")).content.decode()
    catalogue = client.get(reverse("education:home"), {"q": "course", "page": "2"})

    assert "1–20 of 22" in mine and 'href="?page=2"' in mine
    assert reverse("education:my-learning-csv") in mine
    assert "21–22 of 22" in catalogue.content.decode()
    assert 'href="?q=course&amp;page=1"' in catalogue.content.decode()


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}])
def test_starting_a_lab_while_the_lab_chain_is_down_says_so(client, settings, headers):
    # Given a lab whose chain does not answer (nothing listens on port 9)
    settings.EDUCATION_LAB_RPC_URL = "http://127.0.0.1:9"
    course = CourseFactory()
    lesson = LessonFactory(
        module=ModuleFactory(course=course), kind="lab", lab_task="anchor_digest", body=""
    )
    student = UserFactory(preferred_language="en")
    enrollment = services.enrollment_create(course=course, student=student)
    client.force_login(student)

    response = client.post(lesson.get_absolute_url(), {"action": "lab-open"}, **headers)

    assert response.status_code in (200, 302)  # not a 500
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert "The lab chain is not available right now. Try again later." in page
    assert enrollment.labs.count() == 0
