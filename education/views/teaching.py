"""Instructor pages: the teaching dashboard, course and lesson authoring, enrolment decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from education import selectors, services
from education.forms import (
    CourseCreateForm,
    CourseEditForm,
    ImageForm,
    LessonCreateForm,
    LessonEditForm,
    ModuleForm,
    QuestionForm,
)
from education.models import Course, Enrollment, Lesson, University
from education.permissions import can_teach, instructor_university_id, require_teacher

from .errors import flash_errors, form_errors


@login_required
@require_GET
def teach(request):
    courses = selectors.courses_taught_by(user=request.user)
    if not can_teach(request.user, -1) and instructor_university_id(request.user) is None:
        raise PermissionDenied(_("This page is for instructors."))
    pending = Enrollment.objects.filter(
        course__in=courses, status=Enrollment.Status.PENDING
    ).select_related("course", "student")
    return render(request, "education/teach.html", {"courses": courses, "pending": pending})


def taught_course(request, public_id) -> Course:
    course = get_object_or_404(Course.objects.select_related("university"), public_id=public_id)
    require_teacher(request.user, course.university_id)
    return course


@login_required
def course_create(request):
    """An instructor creates a draft course of their university."""
    university_id = instructor_university_id(request.user)
    if university_id is None:
        raise PermissionDenied(_("This page is for instructors."))
    form = CourseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                by=request.user,
                university=University.objects.get(pk=university_id),
                **{name: form.cleaned_data[name] for name in CourseCreateForm.Meta.fields},
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The course was created as a draft."))
            return redirect(reverse("education:course-edit", args=[course.public_id]))
    return render(request, "education/course_create.html", {"form": form})


@login_required
def course_edit(request, public_id):
    """Authoring of one course: its description, modules, lessons and publication."""
    course = taught_course(request, public_id)
    form = CourseEditForm(
        request.POST if request.POST.get("action") == "course" else None,
        instance=Course.objects.get(pk=course.pk),
    )
    module_form = ModuleForm(request.POST if request.POST.get("action") == "module" else None)
    lesson_form = LessonCreateForm(
        request.POST if request.POST.get("action") == "lesson" else None, course=course
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "course" and form.is_valid():
                services.course_update(
                    course=course,
                    by=request.user,
                    **{name: form.cleaned_data[name] for name in CourseEditForm.Meta.fields},
                )
                messages.success(request, _("The course was saved."))
                return redirect(reverse("education:teach"))
            if action == "module" and module_form.is_valid():
                services.module_create(
                    course=course, by=request.user, title=module_form.cleaned_data["title"]
                )
                return redirect(request.path)
            if action == "lesson" and lesson_form.is_valid():
                data = lesson_form.cleaned_data
                lesson = services.lesson_create(
                    module=data["module"],
                    by=request.user,
                    title=data["title"],
                    kind=data["kind"],
                    lab_task=data["lab_task"],
                    body=data["body"],
                )
                return redirect(reverse("education:lesson-edit", args=[lesson.public_id]))
            if action == "publish":
                services.course_publish(course=course, by=request.user)
                messages.success(request, _("The course is published."))
                return redirect(request.path)
        except ValidationError as error:
            target = {"course": form, "module": module_form, "lesson": lesson_form}.get(action)
            if target is None:
                flash_errors(request, error)
                return redirect(request.path)
            form_errors(target, error)
    return render(
        request,
        "education/course_edit.html",
        {
            "course": course,
            "form": form,
            "module_form": module_form,
            "lesson_form": lesson_form,
            "modules": selectors.course_outline(course),
        },
    )


@login_required
def lesson_edit(request, public_id):
    """Authoring of one lesson: text, quiz questions and images."""
    lesson = get_object_or_404(
        Lesson.objects.select_related("module__course__university"), public_id=public_id
    )
    require_teacher(request.user, lesson.module.course.university_id)
    action = request.POST.get("action")
    form = LessonEditForm(
        request.POST if action == "lesson" else None, instance=Lesson.objects.get(pk=lesson.pk)
    )
    question_form = QuestionForm(request.POST if action == "question" else None)
    image_form = ImageForm(
        request.POST if action == "image" else None, request.FILES if action == "image" else None
    )
    if request.method == "POST":
        try:
            if action == "lesson" and form.is_valid():
                services.lesson_update(
                    lesson=lesson,
                    by=request.user,
                    **{name: form.cleaned_data[name] for name in LessonEditForm.Meta.fields},
                )
                messages.success(request, _("The lesson was saved."))
                return redirect(request.path)
            if action == "question" and question_form.is_valid():
                data = question_form.cleaned_data
                services.question_create(
                    lesson=lesson,
                    by=request.user,
                    kind=data["kind"],
                    prompt=data["prompt"],
                    choices=question_form.parsed_choices(),
                    numeric_answer=data["numeric_answer"],
                    tolerance=data["tolerance"] or 0,
                    feedback=data["feedback"],
                )
                messages.success(request, _("The question was added."))
                return redirect(request.path)
            if action == "image" and image_form.is_valid():
                services.lesson_image_add(
                    lesson=lesson,
                    by=request.user,
                    image=image_form.cleaned_data["image"],
                    alt=image_form.cleaned_data["alt"],
                )
                return redirect(request.path)
        except ValidationError as error:
            target = {"lesson": form, "question": question_form, "image": image_form}[action]
            form_errors(target, error)
    return render(
        request,
        "education/lesson_edit.html",
        {
            "lesson": lesson,
            "course": lesson.module.course,
            "form": form,
            "question_form": question_form,
            "image_form": image_form,
            "questions": lesson.questions.prefetch_related("choices"),
            "images": lesson.images.all(),
        },
    )


@login_required
@require_POST
def enrollment_decide(request, public_id):
    enrollment = get_object_or_404(Enrollment, public_id=public_id)
    try:
        services.enrollment_decide(
            enrollment=enrollment, by=request.user, approve=request.POST.get("approve") == "1"
        )
    except ValidationError as error:
        flash_errors(request, error)
    return redirect(reverse("education:teach"))
