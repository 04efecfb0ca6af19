from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from busanhub.chain.services import anchor_record
from education.models import Choice, Course, Lesson, LessonImage, Module, Question, University
from education.permissions import require_teacher

# The fields an instructor edits, in the order the course form shows them.
COURSE_FIELDS = (
    "title",
    "summary",
    "level",
    "language",
    "enrollment_policy",
    "is_enrollment_open",
    "capacity",
    "starts_on",
    "ends_on",
    "pass_mark",
)


def _anchor_course(course: Course) -> None:
    """Anchors the public description of a published course as a new version."""
    course.version += 1
    course.save(update_fields=["version"])
    anchor_record(
        kind="education.course",
        ref=str(course.public_id),
        version=course.version,
        data={
            "university": course.university.slug,
            "code": course.code,
            "title": course.title,
            "level": course.level,
            "language": course.language,
            "startsOn": course.starts_on.isoformat(),
            "endsOn": course.ends_on.isoformat(),
            "passMark": course.pass_mark,
            "lessons": [
                {"id": str(lesson.public_id), "title": lesson.title, "kind": lesson.kind}
                for lesson in Lesson.objects.filter(module__course=course).order_by(
                    "module__position", "position", "pk"
                )
            ],
        },
        public=True,
    )


@transaction.atomic
def course_create(
    *,
    by,
    university: University,
    code: str,
    title: str,
    summary: str,
    level: str,
    language: str,
    starts_on: date,
    ends_on: date,
    capacity: int | None = None,
    enrollment_policy: str = Course.Enrollment.OPEN,
    is_enrollment_open: bool = True,
    pass_mark: int = 60,
    prerequisites: list[Course] | tuple = (),
) -> Course:
    """Creates an unpublished course of `university`; only its instructors (or staff) may."""
    require_teacher(by, university.pk)
    course = Course(
        university=university,
        code=code,
        title=title,
        summary=summary,
        level=level,
        language=language,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
        enrollment_policy=enrollment_policy,
        is_enrollment_open=is_enrollment_open,
        pass_mark=pass_mark,
    )
    course.full_clean()
    course.save()
    if prerequisites:
        course.prerequisites.set(prerequisites)
    return course


@transaction.atomic
def course_update(*, course: Course, by, **fields) -> Course:
    """Changes a course's description; a published course anchors its new version."""
    require_teacher(by, course.university_id)
    unknown = set(fields) - set(COURSE_FIELDS) - {"prerequisites"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    course = Course.objects.select_for_update().get(pk=course.pk)
    prerequisites = fields.pop("prerequisites", None)
    for name, value in fields.items():
        setattr(course, name, value)
    course.full_clean()
    course.save(update_fields=list(fields) or None)
    if prerequisites is not None:
        if any(p.pk == course.pk for p in prerequisites):
            raise ValidationError({"prerequisites": _("A course cannot require itself.")})
        course.prerequisites.set(prerequisites)
    if course.is_published:
        _anchor_course(course)
    return course


@transaction.atomic
def course_publish(*, course: Course, by) -> Course:
    """Publishes the course in the catalogue and anchors its description (a new version)."""
    require_teacher(by, course.university_id)
    course = Course.objects.select_for_update().get(pk=course.pk)
    if not Lesson.objects.filter(module__course=course).exists():
        raise ValidationError({"modules": _("Add at least one lesson before publishing.")})
    course.is_published = True
    course.save(update_fields=["is_published"])
    _anchor_course(course)
    return course


@transaction.atomic
def module_create(*, course: Course, by, title: str, position: int | None = None) -> Module:
    require_teacher(by, course.university_id)
    if position is None:
        position = (
            course.modules.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
    module = Module(course=course, title=title, position=position)
    module.full_clean()
    module.save()
    return module


LESSON_FIELDS = {"title", "kind", "body", "position", "is_required", "max_attempts", "lab_task"}


@transaction.atomic
def lesson_create(
    *,
    module: Module,
    by,
    title: str,
    kind: str = Lesson.Kind.TEXT,
    body: str = "",
    position: int | None = None,
    is_required: bool = True,
    max_attempts: int = 3,
    lab_task: str = "",
) -> Lesson:
    """Adds a lesson (reading, quiz or chain lab) to a module of the instructor's university;
    a published course anchors its new version (the outline changed)."""
    require_teacher(by, module.course.university_id)
    if position is None:
        position = (
            module.lessons.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
    if kind == Lesson.Kind.LAB and not lab_task:
        raise ValidationError({"lab_task": _("Choose the lab's task.")})
    lesson = Lesson(
        module=module,
        title=title,
        kind=kind,
        body=body,
        position=position,
        is_required=is_required,
        max_attempts=max_attempts,
        lab_task=lab_task if kind == Lesson.Kind.LAB else "",
    )
    lesson.full_clean()
    lesson.save()
    if module.course.is_published:
        _anchor_course(Course.objects.select_for_update().get(pk=module.course_id))
    return lesson


@transaction.atomic
def lesson_update(*, lesson: Lesson, by, **fields) -> Lesson:
    """Edits a lesson; refused (PermissionDenied) for another university's course. A change of
    a published course's outline (a title or kind) anchors the course's new version."""
    require_teacher(by, lesson.module.course.university_id)
    unknown = set(fields) - LESSON_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    for name, value in fields.items():
        setattr(lesson, name, value)
    lesson.full_clean()
    lesson.save(update_fields=list(fields) or None)
    if lesson.module.course.is_published and {"title", "kind"} & set(fields):
        _anchor_course(Course.objects.select_for_update().get(pk=lesson.module.course_id))
    return lesson


@transaction.atomic
def question_create(
    *,
    lesson: Lesson,
    by,
    kind: str,
    prompt: str,
    choices: list[tuple[str, bool]] | None = None,
    numeric_answer: Decimal | None = None,
    tolerance: Decimal = Decimal(0),
    feedback: str = "",
    position: int | None = None,
) -> Question:
    """Adds a question to a quiz lesson; checks that it can be answered correctly."""
    require_teacher(by, lesson.module.course.university_id)
    if lesson.kind != Lesson.Kind.QUIZ:
        raise ValidationError({"lesson": _("Questions belong to quiz lessons.")})
    choices = choices or []
    if kind == Question.Kind.NUMERIC:
        if numeric_answer is None:
            raise ValidationError({"numeric_answer": _("Give the correct number.")})
        if choices:
            raise ValidationError({"choices": _("A numeric question has no choices.")})
    else:
        correct = sum(1 for _text, is_correct in choices if is_correct)
        if len(choices) < 2:
            raise ValidationError({"choices": _("Give at least two choices.")})
        if correct == 0 or (kind == Question.Kind.SINGLE and correct != 1):
            raise ValidationError(
                {"choices": _("Mark one correct choice (single) or at least one (multiple).")}
            )
    if position is None:
        position = lesson.questions.count() + 1
    question = Question(
        lesson=lesson,
        kind=kind,
        prompt=prompt,
        numeric_answer=numeric_answer,
        tolerance=tolerance,
        feedback=feedback,
        position=position,
    )
    question.full_clean()
    question.save()
    for text, is_correct in choices:
        choice = Choice(question=question, text=text, is_correct=is_correct)
        choice.full_clean()
        choice.save()
    return question


@transaction.atomic
def lesson_image_add(*, lesson: Lesson, by, image, alt: str) -> LessonImage:
    """Stores an image a lesson's Markdown can show (validated by Pillow through ImageField)."""
    require_teacher(by, lesson.module.course.university_id)
    picture = LessonImage(lesson=lesson, image=image, alt=alt)
    picture.full_clean()
    picture.save()
    return picture
