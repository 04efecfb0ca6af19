"""A lesson as the learner sees it, and what she does on it: complete a reading, start and
submit a quiz, work in a lab. Quizzes and labs add their own context and actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from education import content, labchain, selectors, services
from education.models import Enrollment, LabChallenge, Lesson, QuizAttempt

from .errors import flash_errors
from .labs import lab_action, lab_context
from .quizzes import answers_from_post, quiz_context


def _lesson_for_learner(request, public_id) -> tuple[Lesson, Enrollment | None, dict]:
    """The lesson (404 unless its course is published), the reader's enrollment (None for a
    teacher who is not enrolled; 403 for anyone else), and what the page shows of both."""
    cached = content.lesson(public_id)
    if cached is None or not cached.lesson.module.course.is_published:
        raise Http404
    lesson = cached.lesson
    reader = selectors.reader_of_course(user=request.user, course=lesson.module.course)
    enrollment = reader.enrollment
    if enrollment is None or enrollment.status not in (
        Enrollment.Status.ACTIVE,
        Enrollment.Status.COMPLETED,
    ):
        if not reader.can_teach:
            raise PermissionDenied(_("Enroll in the course to open its lessons."))
        enrollment = None
    page = {
        "html": cached.html,
        "done": enrollment is not None and lesson.pk in reader.done,
        "previous": cached.previous,
        "next": cached.next,
        "part_key": cached.part_key,
    }
    return lesson, enrollment, page


@login_required
def lesson(request, public_id):
    lesson, enrollment, page = _lesson_for_learner(request, public_id)
    if request.method == "POST":
        return _lesson_post(request, lesson, enrollment)
    context = {
        "lesson": lesson,
        "course": lesson.module.course,
        "enrollment": enrollment,
        **page,
    }
    if lesson.kind == Lesson.Kind.QUIZ:
        context.update(quiz_context(lesson, enrollment))
    elif lesson.kind == Lesson.Kind.LAB:
        context.update(lab_context(lesson, enrollment, session=request.session))
    return render(request, "education/lesson.html", context)


def _lesson_post(request, lesson: Lesson, enrollment: Enrollment | None):
    if enrollment is None:
        raise PermissionDenied(_("Enroll in the course to take part."))
    action = request.POST.get("action", "")
    try:
        if action == "complete":
            services.lesson_complete(enrollment=enrollment, lesson=lesson)
            messages.success(request, _("Lesson completed."))
        elif action == "start":
            services.quiz_attempt_start(enrollment=enrollment, lesson=lesson)
        elif action == "submit":
            attempt = get_object_or_404(
                QuizAttempt,
                enrollment=enrollment,
                lesson=lesson,
                public_id=request.POST.get("attempt", ""),
                submitted_at__isnull=True,
            )
            graded = services.quiz_attempt_submit(
                attempt=attempt, answers=answers_from_post(request, attempt)
            )
            messages.success(request, _("Your score: %(score)d%%") % {"score": graded.score})
        elif action == "lab-open":
            services.lab_open(enrollment=enrollment, lesson=lesson)
        elif action in ("lab-faucet", "lab-anchor", "lab-verify", "lab-tx"):
            challenge = get_object_or_404(LabChallenge, enrollment=enrollment, lesson=lesson)
            lab_action(request, action, challenge)
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as error:
        flash_errors(request, error)
    except labchain.LabChainError:
        messages.error(request, _("The lab chain is not available right now. Try again later."))
    if request.headers.get("HX-Request") == "true":
        # htmx posted it (the lab's start, with its progress): the page loads again in full.
        response = HttpResponse(status=200)
        response["HX-Redirect"] = lesson.get_absolute_url()
        return response
    return redirect(lesson.get_absolute_url())
