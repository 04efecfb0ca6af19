"""The cached course content (education/content.py): every page shows a change made through the
services, the ORM (what the admin and its inlines call) and cascading deletes; an entry rebuilt
while a write is not committed yet is not served after the commit; the pages' queries do not grow
with the outline."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from education import content, services
from education.models import Choice, Enrollment, Lesson, Question
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
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return EducationStaffFactory()


@pytest.fixture
def course():
    course = CourseFactory(title="Merkle trees")
    module = ModuleFactory(course=course, title="Foundations")
    LessonFactory(module=module, title="Trees", body="A **root** commits.", position=1)
    quiz_for(module, max_attempts=5)
    return course


@pytest.fixture
def reading(course) -> Lesson:
    return Lesson.objects.get(module__course=course, kind="text")


@pytest.fixture
def quiz(course) -> Lesson:
    return Lesson.objects.get(module__course=course, kind="quiz")


@pytest.fixture
def student(client, course):
    user = UserFactory(preferred_language="en")
    services.enrollment_create(course=course, student=user)
    client.force_login(user)
    return user


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_course_page_shows_each_change_of_its_content(client, course, reading, student, staff):
    url = course.get_absolute_url()
    assert "Merkle trees" in _page(client, url)

    services.course_update(course=course, by=staff, title="Merkle forests")
    page = _page(client, url)
    assert "<h1>Merkle forests</h1>" in page and "<h1>Merkle trees</h1>" not in page

    services.lesson_create(module=reading.module, by=staff, title="Roots on chain")
    assert "Roots on chain" in _page(client, url)

    other = CourseFactory(title="Hashing 101")
    course.prerequisites.add(other)  # the admin's filter_horizontal: the m2m only
    assert f'<a href="{other.get_absolute_url()}">Hashing 101</a>' in _page(client, url)

    course.university.name = "Pukyong National University"
    course.university.save()  # the university admin
    assert "Pukyong National University" in _page(client, url)

    reading.module.title = "Basics"
    reading.module.save()  # the course admin's module inline
    assert "<h3>Basics</h3>" in _page(client, url)

    reading.delete()  # the admin's delete
    assert f'href="{reading.get_absolute_url()}"' not in _page(client, url)

    course.is_published = False
    course.save()
    assert client.get(url).status_code == 404


def test_the_lesson_page_shows_a_new_text_and_new_neighbours(
    client, course, reading, quiz, student, staff
):
    url = reading.get_absolute_url()
    assert "A <strong>root</strong> commits." in _page(client, url)

    services.lesson_update(lesson=reading, by=staff, body="Leaves are **hashed**.")
    page = _page(client, url)
    assert "Leaves are <strong>hashed</strong>." in page and "root" not in page

    last = services.lesson_create(module=quiz.module, by=staff, title="Anchors")
    assert f'<a href="{last.get_absolute_url()}" rel="next">Anchors →</a>' in _page(
        client, quiz.get_absolute_url()
    )

    Lesson.objects.get(pk=last.pk).delete()
    assert 'rel="next"' not in _page(client, quiz.get_absolute_url())


def test_the_quiz_api_shows_and_grades_the_questions_as_they_are_now(course, quiz, staff):
    user = UserFactory()
    services.enrollment_create(course=course, student=user)
    api = APIClient()
    api.force_authenticate(user)
    start = f"/api/v1/education/lessons/{quiz.public_id}/attempts/"
    started = api.post(start)
    assert started.status_code == 201
    wrong = Choice.objects.get(text="128 bits")
    assert "128 bits" in {c["text"] for q in started.json()["questions"] for c in q["choices"]}

    wrong.text = "160 bits"
    wrong.save()  # the question admin's choice inline
    again = api.post(start)  # the open attempt again
    assert again.json()["id"] == started.json()["id"]
    texts = {c["text"] for q in again.json()["questions"] for c in q["choices"]}
    assert "160 bits" in texts and "128 bits" not in texts

    answers = right_answers(quiz)
    services.question_create(
        lesson=quiz, by=staff, kind="numeric", prompt="Bits in a byte?", numeric_answer=8
    )
    submit = f"/api/v1/education/attempts/{started.json()['id']}/submit/"
    refused = api.post(submit, {"answers": answers}, format="json")
    assert refused.status_code == 400
    assert refused.json()["answers"] == [
        "Question {}: answer every question".format(
            Question.objects.get(prompt="Bits in a byte?").pk
        )
    ]

    Question.objects.get(prompt="Bits in a byte?").delete()
    graded = api.post(submit, {"answers": answers}, format="json")
    assert graded.status_code == 200
    assert graded.json()["score"] == 100


def test_completion_follows_a_lesson_made_optional(course, reading, quiz, staff):
    user = UserFactory()
    enrollment = services.enrollment_create(course=course, student=user)
    first = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=first, answers=right_answers(quiz))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE  # the reading is not done

    services.lesson_update(lesson=reading, by=staff, is_required=False)
    second = services.quiz_attempt_start(enrollment=enrollment, lesson=quiz)
    services.quiz_attempt_submit(attempt=second, answers=right_answers(quiz))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_an_entry_rebuilt_before_a_write_commits_is_not_served_after_the_commit():
    lesson = LessonFactory(title="Before")
    assert content.lesson(lesson.public_id).lesson.title == "Before"
    written, commit = threading.Event(), threading.Event()

    def write():
        try:
            with transaction.atomic():
                row = Lesson.objects.get(pk=lesson.pk)
                row.title = "After"
                row.save()
                written.set()
                assert commit.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    assert written.wait(10)
    # The writer's first new generation is out; this read rebuilds from the committed row.
    assert content.lesson(lesson.public_id).lesson.title == "Before"
    commit.set()
    writer.join(10)
    assert content.lesson(lesson.public_id).lesson.title == "After"


def test_the_course_and_lesson_pages_queries_do_not_grow_with_the_outline(
    client, course, reading, student, django_assert_max_num_queries
):
    _page(client, course.get_absolute_url())
    _page(client, reading.get_absolute_url())  # the content is cached now
    # session, user, the reader's one statement (enrollment, progress, role)
    with django_assert_max_num_queries(3):
        _page(client, course.get_absolute_url())
    with django_assert_max_num_queries(3):
        _page(client, reading.get_absolute_url())

    last = reading.module.lessons.order_by("-position").first().position
    for position in range(last + 1, last + 11):
        LessonFactory(module=reading.module, position=position)
    _page(client, course.get_absolute_url())
    with django_assert_max_num_queries(3):
        page = _page(client, course.get_absolute_url())
    assert page.count('<li>\n      <a href="/') >= 12  # links: the student is enrolled


def test_quiz_start_and_submit_queries(course, quiz, django_assert_max_num_queries):
    user = UserFactory()
    services.enrollment_create(course=course, student=user)
    api = APIClient()
    api.force_authenticate(user)
    start = f"/api/v1/education/lessons/{quiz.public_id}/attempts/"
    warm = api.post(start).json()
    submit = "/api/v1/education/attempts/{}/submit/"
    answers = {"answers": right_answers(quiz)}
    assert api.post(submit.format(warm["id"]), answers, format="json").status_code == 200
    # enrollment, its lock with the attempts' count (one round trip), the insert (and the
    # test's savepoint and its release around the service's transaction)
    with django_assert_max_num_queries(3 + 2):
        started = api.post(start)
    assert started.status_code == 201 and started.json()["number"] == 2
    # the attempt's id, its lock with the enrollment's, the update, the learner's state (+ 2)
    with django_assert_max_num_queries(4 + 2):
        graded = api.post(submit.format(started.json()["id"]), answers, format="json")
    assert graded.status_code == 200 and graded.json()["score"] == 100


def test_only_the_courses_teachers_open_lessons_without_enrolling(client, course, reading):
    url = course.get_absolute_url()
    lesson_link = f'href="{reading.get_absolute_url()}"'
    edit_link = reverse("education:course-edit", args=[course.public_id])

    client.force_login(InstructorFactory(university=course.university).user)
    page = _page(client, url)
    assert lesson_link in page and edit_link in page
    assert client.get(reading.get_absolute_url()).status_code == 200

    client.force_login(InstructorFactory().user)  # another university's
    page = _page(client, url)
    assert lesson_link not in page and edit_link not in page
    assert client.get(reading.get_absolute_url()).status_code == 403

    client.force_login(UserFactory())
    assert lesson_link not in _page(client, url)
    assert client.get(reading.get_absolute_url()).status_code == 403


def test_a_rendered_course_part_is_kept_per_language(client):
    university = UniversityFactory(name="Pukyong National University", name_ko="부경대학교")
    course = CourseFactory(university=university)
    for language, shown, hidden in (
        ("en", "Pukyong National University", "부경대학교"),
        ("ko", "부경대학교", "Pukyong National University"),
        ("en", "All courses", "모든 과정"),
        ("ko", "모든 과정", "All courses"),
    ):
        page = client.get(course.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
        assert shown in page.content.decode() and hidden not in page.content.decode()


def test_a_process_keeps_an_entry_only_while_its_generation_is_current(reading):
    # Given an entry this process read (and keeps: a second read builds nothing and unpickles
    # nothing, it is the same object)
    content.memo_clear()
    first = content.lesson(reading.public_id)
    assert content.lesson(reading.public_id) is first
    # when another process changes the row (here an update(), which sends no signal: the
    # generation stays, so every process, this one included, still serves the old entry)
    Lesson.objects.filter(pk=reading.pk).update(title="Renamed elsewhere")
    assert content.lesson(reading.public_id).lesson.title == "Trees"
    # and that process starts a new generation, as its save() does
    content.CONTENT.renew()

    # then this process's copy is not served any more
    assert content.lesson(reading.public_id).lesson.title == "Renamed elsewhere"


def test_a_process_copy_is_not_served_when_the_cache_lost_the_generation(reading):
    content.memo_clear()
    assert content.lesson(reading.public_id).lesson.title == "Trees"
    Lesson.objects.filter(pk=reading.pk).update(title="Renamed while the cache restarted")

    cache.clear()  # Redis restarted empty: a new generation is made on the next read

    assert content.lesson(reading.public_id).lesson.title == "Renamed while the cache restarted"


def test_a_process_copy_read_from_the_cache_is_the_other_process_entry(reading):
    # Given an entry another process built and stored (here: built, then this process's copy
    # forgotten, as in a fresh worker)
    built = content.lesson(reading.public_id)
    content.memo_clear()

    # when this process reads it
    read = content.lesson(reading.public_id)

    # then it is that entry, unpickled once and kept
    assert read is not built and read == built
    assert content.lesson(reading.public_id) is read


def test_the_outline_shows_each_reader_their_own_marks_and_links(client, course, reading, quiz):
    # Given two students of the course, one who completed the reading, and a visitor
    done_reader, new_reader = (UserFactory(preferred_language="en") for _ in range(2))
    for user in (done_reader, new_reader):
        services.enrollment_create(course=course, student=user)
    enrollment = Enrollment.objects.get(student=done_reader)
    url = course.get_absolute_url()
    link = f'href="{reading.get_absolute_url()}"'

    def page_of(user) -> str:
        client.logout()
        if user is not None:
            client.force_login(user)
        return _page(client, url)

    # when each opens the course page, twice and in turns (the outline is kept per state)
    for _ in range(2):
        for user, marks, links in ((new_reader, 0, True), (None, 0, False)):
            page = page_of(user)
            # then each sees their own marks and links
            assert page.count("✓ done") == marks and (link in page) is links
        services.lesson_complete(enrollment=enrollment, lesson=reading)
        page = page_of(done_reader)
        assert page.count("✓ done") == 1 and link in page
        assert page_of(new_reader).count("✓ done") == 0
