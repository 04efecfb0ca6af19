import datetime

import factory
from django.utils import timezone

from busanhub.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from education.models import Choice, Course, Instructor, Lesson, Module, Question, University

__all__ = ["PASSWORD", "StaffFactory", "UserFactory"]


class UniversityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = University
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"uni{n}")
    name = factory.Sequence(lambda n: f"University {n}")


class InstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instructor

    user = factory.SubFactory(UserFactory, roles=["instructor"])
    university = factory.SubFactory(UniversityFactory)


def EducationStaffFactory(**kwargs):  # noqa: N802
    return StaffFactory(roles=["staff-education"], **kwargs)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    university = factory.SubFactory(UniversityFactory)
    code = factory.Sequence(lambda n: f"bc{n}")
    title = factory.Sequence(lambda n: f"Blockchain {n}")
    summary = "Hashing, Merkle trees and anchoring."
    level = Course.Level.BEGINNER
    language = Course.Language.ENGLISH
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=7))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    is_published = True
    pass_mark = 60


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    title = "Foundations"
    position = factory.Sequence(lambda n: n + 1)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    kind = Lesson.Kind.TEXT
    body = "# Hashing\n\nA hash function maps data to a fixed-size **digest**."
    position = factory.Sequence(lambda n: n + 1)


def quiz_for(module: Module, *, max_attempts: int = 2) -> Lesson:
    """A quiz with one question of each kind: single, multiple and numeric."""
    quiz = LessonFactory(
        module=module, kind=Lesson.Kind.QUIZ, title="Quiz", body="", max_attempts=max_attempts
    )
    single = Question.objects.create(
        lesson=quiz,
        kind="single",
        prompt="Which hash does SHA-256 produce?",
        position=1,
        feedback="SHA-256 digests are 256 bits.",
    )
    Choice.objects.create(question=single, text="256 bits", is_correct=True)
    Choice.objects.create(question=single, text="128 bits", is_correct=False)
    multiple = Question.objects.create(
        lesson=quiz, kind="multiple", prompt="Which are hash functions?", position=2
    )
    Choice.objects.create(question=multiple, text="SHA-256", is_correct=True)
    Choice.objects.create(question=multiple, text="Keccak-256", is_correct=True)
    Choice.objects.create(question=multiple, text="AES", is_correct=False)
    Question.objects.create(
        lesson=quiz,
        kind="numeric",
        prompt="How many leaves has a tree of depth 3?",
        position=3,
        numeric_answer=8,
        tolerance=0,
    )
    return quiz


def right_answers(quiz: Lesson) -> dict:
    answers = {}
    for question in quiz.questions.all():
        if question.kind == "numeric":
            answers[str(question.pk)] = str(question.numeric_answer.normalize())
        else:
            answers[str(question.pk)] = [c.pk for c in question.choices.all() if c.is_correct]
    return answers


def wrong_answers(quiz: Lesson) -> dict:
    answers = {}
    for question in quiz.questions.all():
        if question.kind == "numeric":
            answers[str(question.pk)] = "7"
        else:
            answers[str(question.pk)] = [
                next(c.pk for c in question.choices.all() if not c.is_correct)
            ]
    return answers
