"""The catalogue and a course's page: search, enrolment and the learner's own courses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from busanhub import spreadsheet
from busanhub.pagination import page_of
from education import content, selectors, services
from education.forms import CatalogueForm
from education.models import Course, Enrollment, University

from .errors import flash_errors


@require_GET
def home(request):
    """The catalogue: search and filters by university, level and language."""
    universities = list(University.objects.order_by("name"))
    form = CatalogueForm(request.GET or None, universities=universities)
    filters = form.cleaned_data if form.is_valid() else {}
    courses = selectors.courses_catalogue(
        query=filters.get("q", ""),
        university=filters.get("university", ""),
        level=filters.get("level", ""),
        language=filters.get("language", ""),
    )
    return render(
        request, "education/catalogue.html", {"form": form, "courses": page_of(request, courses)}
    )


def _published_course(public_id) -> Course:
    return get_object_or_404(
        Course.objects.select_related("university"), public_id=public_id, is_published=True
    )


@require_GET
def course(request, public_id):
    cached = content.course(public_id)
    if cached is None or not cached.course.is_published:
        raise Http404
    reader = selectors.reader_of_course(user=request.user, course=cached.course)
    can_open = reader.can_teach or (
        reader.enrollment is not None
        and reader.enrollment.status in (Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED)
    )
    return render(
        request,
        "education/course.html",
        {
            "course": cached.course,
            "modules": cached.modules,
            "prerequisites": cached.prerequisites,
            "part_key": cached.part_key,
            "outline_key": _outline_key(cached, reader, can_open),
            "enrollment": reader.enrollment,
            "state": reader,
            "can_open": can_open,
            "can_teach": reader.can_teach,
        },
    )


def _outline_key(cached: content.CourseContent, reader: selectors.Reader, can_open: bool) -> str:
    """Names the outline as this reader sees it: the course's entry, whether its lessons are
    links, and which of them the reader has done. Everything personal the outline shows is in
    the key, so readers in the same state share one rendering ("": render it every time)."""
    if not cached.part_key:
        return ""
    finished = reader.done | reader.labs_passed
    done = [
        str(link.pk) for module in cached.modules for link in module.lessons if link.pk in finished
    ]
    return f"{cached.part_key}:{int(can_open)}:{','.join(done)}"


@login_required
@require_POST
def enroll(request, public_id):
    course = _published_course(public_id)
    try:
        enrollment = services.enrollment_create(course=course, student=request.user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        if enrollment.status == Enrollment.Status.PENDING:
            messages.success(request, _("Your request was sent to the instructors."))
        else:
            messages.success(request, _("You are enrolled."))
    return redirect(course.get_absolute_url())


@login_required
@require_GET
def my_learning(request):
    return render(
        request,
        "education/my_learning.html",
        {"rows": page_of(request, selectors.my_learning(user=request.user))},
    )


MY_LEARNING_HEADER = [
    "course", "university", "enrolled_at", "status", "progress_percent", "certificate_status",
    "certificate_issued_at", "certificate_url",
]  # fmt: skip


@login_required
@require_GET
def my_learning_csv(request):
    """The requester's own courses and certificates as CSV."""
    rows = []
    for row in selectors.my_learning(user=request.user):
        certificate = row["certificate"]
        rows.append(
            [
                row["course"].title,
                row["course"].university.name,
                row["enrollment"].created_at.isoformat(),
                row["enrollment"].status,
                row["percent"],
                certificate.status if certificate else None,
                certificate.issued_at.isoformat()
                if certificate and certificate.issued_at
                else None,
                request.build_absolute_uri(certificate.get_absolute_url())
                if certificate and certificate.status != "pending"
                else None,
            ]
        )
    day = timezone.localdate().isoformat()
    return spreadsheet.csv_response(
        spreadsheet.rows_to_csv(MY_LEARNING_HEADER, rows), filename=f"my-learning-{day}.csv"
    )
