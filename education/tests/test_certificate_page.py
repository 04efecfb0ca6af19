"""The certificate page names the university in the page's language, and the criteria written
into a new certificate say only what its course requires (issue #18)."""

import pytest
from django.test import Client
from django.utils import translation

from education import services
from education.models import Certificate, Lesson
from education.services.certificates import criteria_narrative
from education.tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    UniversityFactory,
    quiz_for,
)
from identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reading_only_certificate():
    university = UniversityFactory(name="Pukyong National University", name_ko="부경대학교")
    course = CourseFactory(title="Merkle trees", university=university)
    reading = LessonFactory(module=ModuleFactory(course=course))
    enrollment = services.enrollment_create(course=course, student=UserFactory())
    services.lesson_complete(enrollment=enrollment, lesson=reading)
    services.certificates_issue(course=course)
    return Certificate.objects.get(enrollment=enrollment)


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("ko", "부경대학교", "Pukyong National University"),
        ("en", "Pukyong National University", "부경대학교"),
    ],
)
def test_the_certificate_page_names_the_university_in_its_language(
    reading_only_certificate, language, shown, hidden
):
    url = reading_only_certificate.get_absolute_url()
    html = Client(HTTP_ACCEPT_LANGUAGE=language).get(url).content.decode()
    assert shown in html
    assert hidden not in html


def test_a_course_without_labs_or_quizzes_mentions_neither(reading_only_certificate):
    document = reading_only_certificate.credential.document
    narrative = document["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert narrative == "To complete Merkle trees: complete every required reading."
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(reading_only_certificate.get_absolute_url())
    assert "chain lab" not in html.content.decode()
    assert "average" not in html.content.decode()


def test_the_criteria_list_what_the_course_requires():
    course = CourseFactory(title="Anchoring", pass_mark=70)
    module = ModuleFactory(course=course)
    LessonFactory(module=module)
    quiz_for(module)
    LessonFactory(module=module, kind=Lesson.Kind.LAB, lab_task="anchor_digest", body="")
    LessonFactory(module=module, kind=Lesson.Kind.LAB, lab_task="anchor_digest", body="")
    LessonFactory(
        module=module, kind=Lesson.Kind.LAB, lab_task="anchor_digest", body="", is_required=False
    )
    assert criteria_narrative(course) == (
        "To complete Anchoring: complete every required reading; pass its 2 chain labs; "
        "reach an average of at least 70% in its quizzes."
    )
    with translation.override("ko"):
        assert criteria_narrative(course) == (
            "Anchoring 수료 기준: 모든 필수 읽기 자료 완료; 체인 실습 2개 통과; 퀴즈 평균 70% 이상."
        )


def test_a_quiz_only_course_says_nothing_of_labs_or_readings():
    course = CourseFactory(title="Quiz only")
    quiz_for(ModuleFactory(course=course))
    assert criteria_narrative(course) == (
        "To complete Quiz only: reach an average of at least 60% in its quizzes."
    )
    with translation.override("ko"):
        assert "체인 실습" not in criteria_narrative(course)
