import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from busanhub import spreadsheet
from education import labchain, lessontext, selectors, services
from education.forms import (
    CatalogueForm,
    CourseCreateForm,
    CourseEditForm,
    ImageForm,
    LabTxForm,
    LabVerifyForm,
    LessonCreateForm,
    LessonEditForm,
    ModuleForm,
    QuestionForm,
    RevokeForm,
    SandboxAnchorForm,
)
from education.models import (
    Certificate,
    Course,
    Enrollment,
    LabChallenge,
    Lesson,
    QuizAttempt,
    University,
)
from education.permissions import can_teach, instructor_university_id, require_teacher
from education.qr import qr_data_uri
from identity import selectors as identity_selectors


def _errors(request, error: ValidationError) -> None:
    for field_messages in error.message_dict.values():
        for message in field_messages:
            messages.error(request, message)


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
    return render(request, "education/catalogue.html", {"form": form, "courses": courses})


def _published_course(public_id) -> Course:
    return get_object_or_404(
        Course.objects.select_related("university"), public_id=public_id, is_published=True
    )


@require_GET
def course(request, public_id):
    course = _published_course(public_id)
    enrollment = selectors.enrollment_for(user=request.user, course=course)
    state = selectors.lesson_states(enrollment)
    return render(
        request,
        "education/course.html",
        {
            "course": course,
            "modules": selectors.course_outline(course),
            "enrollment": enrollment,
            "state": state,
            "prerequisites": list(course.prerequisites.all()),
            "can_teach": can_teach(request.user, course.university_id),
        },
    )


@login_required
@require_POST
def enroll(request, public_id):
    course = _published_course(public_id)
    try:
        enrollment = services.enrollment_create(course=course, student=request.user)
    except ValidationError as error:
        _errors(request, error)
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
        request, "education/my_learning.html", {"rows": selectors.my_learning(user=request.user)}
    )


def _lesson_for_learner(request, public_id) -> tuple[Lesson, Enrollment | None]:
    lesson = get_object_or_404(
        Lesson.objects.select_related("module__course__university"),
        public_id=public_id,
        module__course__is_published=True,
    )
    enrollment = selectors.enrollment_for(user=request.user, course=lesson.module.course)
    if enrollment is None or enrollment.status not in (
        Enrollment.Status.ACTIVE,
        Enrollment.Status.COMPLETED,
    ):
        if not can_teach(request.user, lesson.module.course.university_id):
            raise PermissionDenied(_("Enroll in the course to open its lessons."))
        enrollment = None
    return lesson, enrollment


def _neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = list(
        Lesson.objects.filter(module__course_id=lesson.module.course_id).order_by(
            "module__position", "position", "pk"
        )
    )
    index = lessons.index(lesson)
    return (
        lessons[index - 1] if index else None,
        lessons[index + 1] if index + 1 < len(lessons) else None,
    )


def _quiz_context(lesson: Lesson, enrollment: Enrollment | None) -> dict:
    if enrollment is None:
        return {}
    attempts = list(QuizAttempt.objects.filter(enrollment=enrollment, lesson=lesson))
    current = next((a for a in attempts if a.submitted_at is None), None)
    questions = {q.pk: q for q in lesson.questions.prefetch_related("choices")}
    shown = []
    if current is not None:
        for item in current.layout:
            question = questions.get(item["question"])
            if question is None:
                continue
            choices = {c.pk: c for c in question.choices.all()}
            shown.append(
                {
                    "question": question,
                    "choices": [choices[pk] for pk in item["choices"] if pk in choices],
                }
            )
    last = next((a for a in reversed(attempts) if a.submitted_at is not None), None)
    feedback = selectors.attempt_feedback(last, list(questions.values())) if last else []
    return {
        "attempts": attempts,
        "current": current,
        "shown": shown,
        "last": last,
        "feedback": feedback,
        "attempts_left": max(0, lesson.max_attempts - len(attempts)),
    }


def _lab_context(lesson: Lesson, enrollment: Enrollment | None) -> dict:
    challenge = (
        LabChallenge.objects.select_related("sandbox__contract")
        .filter(enrollment=enrollment, lesson=lesson)
        .first()
        if enrollment
        else None
    )
    context = {
        "challenge": challenge,
        "verify_form": LabVerifyForm(),
        "tx_form": LabTxForm(),
        "anchor_form": SandboxAnchorForm(),
        "rpc_url": labchain.rpc_url(),
    }
    if challenge and challenge.data.get("receipt"):
        context["receipt_json"] = json.dumps(challenge.data["receipt"], indent=2)
    if challenge and lesson.lab_task == Lesson.LabTask.VERIFY_RECEIPT:
        context["tries_left"] = max(0, services.lab_max_failures() - challenge.failed_attempts)
        context["can_renew"] = bool(
            challenge.locked_until and challenge.locked_until <= timezone.now()
        )
    return context


@login_required
def lesson(request, public_id):
    lesson, enrollment = _lesson_for_learner(request, public_id)
    if request.method == "POST":
        return _lesson_post(request, lesson, enrollment)
    previous, following = _neighbours(lesson)
    state = selectors.lesson_states(enrollment)
    context = {
        "lesson": lesson,
        "course": lesson.module.course,
        "enrollment": enrollment,
        "html": lessontext.render(lesson.body),
        "done": lesson.pk in state.done,
        "previous": previous,
        "next": following,
    }
    if lesson.kind == Lesson.Kind.QUIZ:
        context.update(_quiz_context(lesson, enrollment))
    elif lesson.kind == Lesson.Kind.LAB:
        context.update(_lab_context(lesson, enrollment))
    return render(request, "education/lesson.html", context)


def _answers_from_post(request, attempt: QuizAttempt) -> dict:
    answers = {}
    questions = {q.pk: q for q in attempt.lesson.questions.all()}
    for item in attempt.layout:
        question = questions.get(item["question"])
        if question is None:
            continue
        name = f"q{question.pk}"
        if question.kind == "numeric":
            value = request.POST.get(name, "").strip()
            if value:
                answers[str(question.pk)] = value
        else:
            values = request.POST.getlist(name)
            try:
                chosen = [int(v) for v in values]
            except ValueError:
                chosen = []
            if chosen:
                answers[str(question.pk)] = chosen
    return answers


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
                attempt=attempt, answers=_answers_from_post(request, attempt)
            )
            messages.success(request, _("Your score: %(score)d%%") % {"score": graded.score})
        elif action == "lab-open":
            services.lab_open(enrollment=enrollment, lesson=lesson)
        elif action in ("lab-faucet", "lab-anchor", "lab-verify", "lab-tx"):
            challenge = get_object_or_404(LabChallenge, enrollment=enrollment, lesson=lesson)
            _lab_action(request, action, challenge)
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as error:
        _errors(request, error)
    except labchain.LabChainError:
        messages.error(request, _("The lab chain is not available right now. Try again later."))
    return redirect(lesson.get_absolute_url())


def _lab_action(request, action: str, challenge: LabChallenge) -> None:
    if action == "lab-faucet":
        services.faucet_request(sandbox=challenge.sandbox)
        messages.success(request, _("The faucet sent 1 test ether to your sandbox account."))
    elif action == "lab-anchor":
        form = SandboxAnchorForm(request.POST)
        if not form.is_valid():
            raise ValidationError(
                form.errors.get_json_data()
                and {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        tx_hash = services.sandbox_anchor(sandbox=challenge.sandbox, text=form.cleaned_data["text"])
        messages.success(request, _("Anchored in transaction %(tx)s.") % {"tx": tx_hash})
        request.session["education_last_tx"] = tx_hash
    else:
        form = LabVerifyForm(request.POST) if action == "lab-verify" else LabTxForm(request.POST)
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        services.lab_submit(challenge=challenge, answer=form.cleaned_data)
        messages.success(request, _("Lab passed: the chain confirms your work."))


# --- certificates -------------------------------------------------------------------------


CHECK_LABELS = {
    "malformed": _("Well-formed credential"),
    "proof": _("Signature of the university"),
    "issuer": _("Signed by the issuer"),
    "issuer-trusted": _("Known issuer"),
    "validity": _("Validity period"),
    "status": _("Not revoked"),
}


def _certificate(public_id) -> Certificate:
    certificate = selectors.certificate_public(public_id)
    if certificate is None:
        raise Http404
    return certificate


@require_GET
def certificate(request, public_id):
    """The public page of a certificate: verified now, issuer, achievement, anchored receipt."""
    certificate = _certificate(public_id)
    credential = certificate.credential
    result = identity_selectors.credential_verification(credential.document)
    rows = [
        {
            "label": CHECK_LABELS.get(check, check),
            "ok": not any(e["check"] == check for e in result["errors"]),
            "messages": [e["message"] for e in result["errors"] if e["check"] == check],
        }
        for check in result["checks"]
    ]
    share_url = request.build_absolute_uri(certificate.get_absolute_url())
    subject = credential.document["credentialSubject"]
    return render(
        request,
        "education/certificate.html",
        {
            "certificate": certificate,
            "course": certificate.enrollment.course,
            "result": result,
            "rows": rows,
            "achievement": subject.get("achievement", {}),
            "subject_did": subject.get("id", ""),
            "issuer": credential.document["issuer"],
            "share_url": share_url,
            "qr": qr_data_uri(share_url),
            "anchor_digest": identity_selectors.anchor_digest_for(credential),
            "can_revoke": can_teach(request.user, certificate.enrollment.course.university_id)
            and certificate.status == Certificate.Status.ISSUED,
            "revoke_form": RevokeForm(),
        },
    )


@require_GET
def certificate_json(request, public_id):
    """The signed OpenBadgeCredential, as /vc-api/credentials/verify accepts it."""
    certificate = _certificate(public_id)
    response = HttpResponse(
        json.dumps(certificate.credential.document, ensure_ascii=False, indent=2),
        content_type="application/vc+ld+json",
    )
    response["Content-Disposition"] = f'attachment; filename="certificate-{public_id}.json"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_required
@require_POST
def certificate_revoke(request, public_id):
    certificate = _certificate(public_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect(certificate.get_absolute_url())
    try:
        services.certificate_revoke(
            certificate=certificate, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The certificate was revoked."))
    return redirect(certificate.get_absolute_url())


# --- teaching -----------------------------------------------------------------------------


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


def _taught_course(request, public_id) -> Course:
    course = get_object_or_404(Course.objects.select_related("university"), public_id=public_id)
    require_teacher(request.user, course.university_id)
    return course


def _form_errors(form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


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
            _form_errors(form, error)
        else:
            messages.success(request, _("The course was created as a draft."))
            return redirect(reverse("education:course-edit", args=[course.public_id]))
    return render(request, "education/course_create.html", {"form": form})


@login_required
def course_edit(request, public_id):
    """Authoring of one course: its description, modules, lessons and publication."""
    course = _taught_course(request, public_id)
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
                _errors(request, error)
                return redirect(request.path)
            _form_errors(target, error)
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
            _form_errors(target, error)
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
        _errors(request, error)
    return redirect(reverse("education:teach"))


@login_required
@require_GET
def gradebook(request, public_id):
    course = _taught_course(request, public_id)
    columns, rows = selectors.gradebook(course=course)
    return render(
        request, "education/gradebook.html", {"course": course, "columns": columns, "rows": rows}
    )


def gradebook_table(columns, rows) -> tuple[list, list[list]]:
    """The gradebook as a header and rows of plain values (scores stay numbers)."""
    header = [
        "email",
        "name",
        "status",
        "readings_done",
        *[f"{lesson.title} ({lesson.kind})" for lesson in columns],
        "certificate",
    ]
    table = []
    for row in rows:
        cells = [
            cell["score"] if "score" in cell else ("passed" if cell["passed"] else "")
            for cell in row["cells"]
        ]
        table.append(
            [
                row["student"].email,
                row["student"].name,
                row["enrollment"].status,
                row["readings"],
                *cells,
                row["certificate"],
            ]
        )
    return header, table


@login_required
@require_GET
def gradebook_csv(request, public_id):
    course = _taught_course(request, public_id)
    header, table = gradebook_table(*selectors.gradebook(course=course))
    return spreadsheet.rows_to_csv_response(header, table, filename=f"gradebook-{course.code}.csv")
