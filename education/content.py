"""What a course shows every reader alike, cached: its description and outline, each lesson's
rendered text and neighbours, each quiz's questions and choices, the completion rule's inputs.

The course, lesson and quiz pages and the quiz API are most of education's traffic and read the
same rows for every student; building those queries cost more Python than the page's own work.
Entries live in Django's cache (Redis in production, shared by the processes) as plain data
(dataclasses, model instances with their related rows already loaded, lazy labels translated at
rendering), never anything about one reader.

Freshness: every entry is stored with the *generation* it was built in and read in the same
round trip as the current generation (`get_many`); an entry of another generation is rebuilt.
Any write to a university, course, its prerequisites, module, lesson, question or choice starts
a new generation (`content_changed`, connected to those models' signals in apps.py, so the
services, the admin and its inlines, and cascading deletes all count), immediately and again
once the transaction commits: a reader that rebuilt an entry from the rows before the commit
stored it under the generation the commit then replaces. One generation for all courses:
authoring is rare, and rebuilding an entry is the few queries every request made before.
"""

from __future__ import annotations

import dataclasses
import functools
import zlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise

from busanhub.generations import Generation
from education import lessontext
from education.models import Course, Lesson, Module, Question

CONTENT = Generation("education:content:generation")
GENERATION_KEY = CONTENT.key
ENTRY_SECONDS = 24 * 3600  # entries of a past generation are never read; this frees them


def content_changed() -> None:
    """Starts a new generation now and again after the commit (see the module's docstring)."""
    CONTENT.changed()


@functools.cache
def _shape() -> str:
    classes = (Link, ModuleOutline, CourseContent, LessonContent, QuizChoice, QuizQuestion, Quiz)
    fields = [
        (cls.__name__, [f.name for f in dataclasses.fields(cls)]) for cls in (*classes, CourseRules)
    ]
    return f"{zlib.crc32(repr(fields).encode()):08x}"


# The entries this process last read or built, by key: (generation, value). Unpickling an entry
# (a model instance, the lazy labels: each one a new proxy class) cost more than the rest of
# the read; an entry of the current generation is the same data in every process, so a hit
# here only reads the generation from the cache. At most MEMO_LIMIT entries: a full memo is
# emptied (entries of a past generation are never read again).
MEMO_LIMIT = 2000
_memo: dict[str, tuple[str, object]] = {}


def memo_clear() -> None:
    """Forget the entries this process holds (tests that compare with a fresh process)."""
    _memo.clear()


def _cached(kind: str, ident, build):
    """The entry `kind:ident` of the current generation, built (and stored) when missing or of
    another generation. `build` returns None for what does not exist (not stored).

    What it returns is shared by the process's requests and threads: read it, never change it."""
    # Lesson and course URLs are stored in entries: the script prefix is part of the key; and
    # so is the entries' shape, so a deploy that changes a dataclass never reads an old one.
    key = f"education:content:{kind}:{ident}:{_shape()}:{get_script_prefix()}"
    held = _memo.get(key)
    if held is not None:
        generation = CONTENT.current()
        if held[0] == generation:
            return held[1]
        found = {GENERATION_KEY: generation, key: cache.get(key)}
    else:
        found = cache.get_many([GENERATION_KEY, key])
    generation = CONTENT.current(found.get(GENERATION_KEY))
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        _remember(key, entry)
        return entry[1]
    value = build()
    if value is not None and generation is not None:
        if hasattr(value, "generation"):
            value = dataclasses.replace(value, generation=generation)
        cache.set(key, (generation, value), timeout=ENTRY_SECONDS)
        _remember(key, (generation, value))
    return value


def _remember(key: str, entry: tuple[str, object]) -> None:
    if len(_memo) >= MEMO_LIMIT:
        _memo.clear()
    _memo[key] = entry


@dataclass(frozen=True)
class Link:
    """A lesson or course as a list shows it."""

    pk: int
    title: str
    url: str
    kind: str = ""
    kind_label: Promise | str = ""  # the lesson kind's lazy label: translated when rendered


@dataclass(frozen=True)
class ModuleOutline:
    title: str
    lessons: tuple[Link, ...]


@dataclass(frozen=True)
class CourseContent:
    course: Course  # with its university
    prerequisites: tuple[Link, ...]
    modules: tuple[ModuleOutline, ...]
    generation: str = ""  # the one it was stored under ("": not stored)

    @property
    def part_key(self) -> str:
        """Names this entry's rendered parts (`{% shared "name" part_key %}`: fragments.py)."""
        return f"{self.course.public_id}:{self.generation}" if self.generation else ""


@dataclass(frozen=True)
class LessonContent:
    lesson: Lesson  # with its module, course and university
    html: str  # the rendered, sanitised text
    previous: Link | None
    next: Link | None
    generation: str = ""  # the one it was stored under ("": not stored)

    @property
    def part_key(self) -> str:
        """Names this entry's rendered parts (`{% shared "name" part_key %}`: fragments.py)."""
        return f"{self.lesson.public_id}:{self.generation}" if self.generation else ""


@dataclass(frozen=True)
class QuizChoice:
    pk: int
    text: str
    is_correct: bool


@dataclass(frozen=True)
class QuizQuestion:
    pk: int
    kind: str
    prompt: str
    feedback: str
    numeric_answer: Decimal | None
    tolerance: Decimal
    choices: tuple[QuizChoice, ...]


@dataclass(frozen=True)
class Quiz:
    lesson_id: int
    course_id: int
    questions: tuple[QuizQuestion, ...]  # in their authored order

    def question(self, pk: int) -> QuizQuestion | None:
        return next((q for q in self.questions if q.pk == pk), None)


@dataclass(frozen=True)
class CourseRules:
    """What completing the course asks: its required lessons (pk, kind) and the pass mark."""

    required: tuple[tuple[int, str], ...]
    pass_mark: int


def _lesson_link(lesson: Lesson) -> Link:
    return Link(
        pk=lesson.pk,
        title=lesson.title,
        url=reverse("education:lesson", kwargs={"public_id": lesson.public_id}),
        kind=lesson.kind,
        kind_label=Lesson.Kind(lesson.kind).label,
    )


def _lessons_of(course_id: int) -> list[Lesson]:
    return list(
        Lesson.objects.filter(module__course_id=course_id)
        .defer("body")
        .order_by("module__position", "position", "pk")
    )


def course(public_id) -> CourseContent | None:
    """The course (published or not: the caller decides) with its outline and prerequisites."""

    def build() -> CourseContent | None:
        found = Course.objects.select_related("university").filter(public_id=public_id).first()
        if found is None:
            return None
        lessons: dict[int, list[Link]] = {}
        for lesson in _lessons_of(found.pk):
            lessons.setdefault(lesson.module_id, []).append(_lesson_link(lesson))
        modules = tuple(
            ModuleOutline(title=module.title, lessons=tuple(lessons.get(module.pk, ())))
            for module in Module.objects.filter(course=found).order_by("position", "pk")
        )
        prerequisites = tuple(
            Link(pk=p.pk, title=p.title, url=p.get_absolute_url())
            for p in found.prerequisites.order_by("starts_on", "title")
        )
        return CourseContent(course=found, prerequisites=prerequisites, modules=modules)

    return _cached("course", public_id, build)


def lesson(public_id) -> LessonContent | None:
    """A lesson (of a published course or not: the caller decides), its text rendered, and the
    lessons before and after it in the course."""

    def build() -> LessonContent | None:
        found = (
            Lesson.objects.select_related("module__course__university")
            .filter(public_id=public_id)
            .first()
        )
        if found is None:
            return None
        order = _lessons_of(found.module.course_id)
        index = next(n for n, other in enumerate(order) if other.pk == found.pk)
        return LessonContent(
            lesson=found,
            html=lessontext.render(found.body),
            previous=_lesson_link(order[index - 1]) if index else None,
            next=_lesson_link(order[index + 1]) if index + 1 < len(order) else None,
        )

    return _cached("lesson", public_id, build)


def quiz(lesson_id: int) -> Quiz | None:
    """A lesson's questions with their choices (choices in the order they were written)."""

    def build() -> Quiz | None:
        course_id = (
            Lesson.objects.filter(pk=lesson_id).values_list("module__course_id", flat=True).first()
        )
        if course_id is None:
            return None
        questions = Question.objects.filter(lesson_id=lesson_id).prefetch_related("choices")
        return Quiz(
            lesson_id=lesson_id,
            course_id=course_id,
            questions=tuple(
                QuizQuestion(
                    pk=q.pk,
                    kind=q.kind,
                    prompt=q.prompt,
                    feedback=q.feedback,
                    numeric_answer=q.numeric_answer,
                    tolerance=q.tolerance,
                    choices=tuple(
                        QuizChoice(pk=c.pk, text=c.text, is_correct=c.is_correct)
                        for c in q.choices.all()
                    ),
                )
                for q in questions.order_by("position", "pk")
            ),
        )

    return _cached("quiz", lesson_id, build)


def course_rules(course_id: int) -> CourseRules | None:
    def build() -> CourseRules | None:
        pass_mark = Course.objects.filter(pk=course_id).values_list("pass_mark", flat=True).first()
        if pass_mark is None:
            return None
        required = Lesson.objects.filter(module__course_id=course_id, is_required=True)
        return CourseRules(
            required=tuple(
                required.order_by("module__position", "position", "pk").values_list("pk", "kind")
            ),
            pass_mark=pass_mark,
        )

    return _cached("rules", course_id, build)
