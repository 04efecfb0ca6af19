import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from busanhub.chain.models import AnchorLeaf
from education.models import Course, Lesson, LessonImage, Question
from education.tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    ModuleFactory,
    UniversityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor(client):
    instructor = InstructorFactory(user__preferred_language="en")
    client.force_login(instructor.user)
    return instructor


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(buffer, format="PNG")
    return SimpleUploadedFile("tree.png", buffer.getvalue(), content_type="image/png")


def test_an_instructor_authors_and_publishes_a_course_on_their_pages(
    client, instructor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # Given an instructor of a university, when they create a course
    response = client.post(
        reverse("education:course-create"),
        {
            "code": "merkle-201",
            "title": "Merkle trees",
            "summary": "Proofs.",
            "level": "beginner",
            "language": "en",
            "enrollment_policy": "open",
            "is_enrollment_open": "on",
            "capacity": "20",
            "starts_on": "2026-12-01",
            "ends_on": "2027-01-31",
            "pass_mark": "60",
        },
    )
    course = Course.objects.get(code="merkle-201")
    assert course.university == instructor.university and course.is_published is False
    edit = reverse("education:course-edit", args=[course.public_id])
    assert response.url == edit

    # ... add a module and a quiz lesson with a question and an image
    client.post(edit, {"action": "module", "title": "Trees"})
    module = course.modules.get()
    response = client.post(
        edit,
        {
            "action": "lesson",
            "module": module.pk,
            "title": "Check",
            "kind": "quiz",
            "lab_task": "",
            "body": "Answer.",
        },
    )
    lesson = Lesson.objects.get(module=module)
    lesson_url = reverse("education:lesson-edit", args=[lesson.public_id])
    assert response.url == lesson_url
    client.post(
        lesson_url,
        {
            "action": "question",
            "kind": "single",
            "prompt": "Root size?",
            "choices": "*32 bytes\n16 bytes",
            "feedback": "A hash.",
        },
    )
    client.post(lesson_url, {"action": "image", "alt": "A tree", "image": _png()})
    client.post(edit, {"action": "publish"})

    # Then the course is published and anchored, with its question and image
    course.refresh_from_db()
    assert course.is_published is True
    question = Question.objects.get(lesson=lesson)
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("32 bytes", True),
        ("16 bytes", False),
    ]
    assert LessonImage.objects.get(lesson=lesson).alt == "A tree"
    assert (
        AnchorLeaf.objects.filter(kind="education.course", ref=str(course.public_id)).count() == 1
    )


def test_a_bad_question_is_a_form_error_and_adds_nothing(client, instructor):
    course = CourseFactory(university=instructor.university)
    quiz = LessonFactory(module=ModuleFactory(course=course), kind="quiz")
    url = reverse("education:lesson-edit", args=[quiz.public_id])

    response = client.post(
        url, {"action": "question", "kind": "single", "prompt": "?", "choices": "a\nb"}
    )

    assert response.status_code == 200
    assert response.context["question_form"].errors["choices"] == [
        "Mark one correct choice (single) or at least one (multiple)."
    ]
    assert Question.objects.count() == 0


def test_a_lab_lesson_without_a_task_is_a_form_error(client, instructor):
    course = CourseFactory(university=instructor.university)
    module = ModuleFactory(course=course)
    response = client.post(
        reverse("education:course-edit", args=[course.public_id]),
        {"action": "lesson", "module": module.pk, "title": "Lab", "kind": "lab", "lab_task": ""},
    )
    assert response.context["lesson_form"].errors["lab_task"] == ["Choose the lab's task."]
    assert Lesson.objects.count() == 0


def test_an_instructor_cannot_author_another_universitys_lessons(client, instructor):
    other = CourseFactory(university=UniversityFactory())
    lesson = LessonFactory(module=ModuleFactory(course=other), body="Original")
    url = reverse("education:lesson-edit", args=[lesson.public_id])

    assert client.get(url).status_code == 403
    assert (
        client.post(
            url, {"action": "lesson", "title": "X", "body": "Hijacked", "max_attempts": "3"}
        ).status_code
        == 403
    )
    lesson.refresh_from_db()
    assert lesson.body == "Original"


def test_a_student_cannot_create_courses(client):
    from education.tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("education:course-create")).status_code == 403
