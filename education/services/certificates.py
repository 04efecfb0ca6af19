from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from busanhub.chain.services import anchor_record
from education.models import Certificate, CertificateBatch, Course, Lesson
from education.permissions import require_teacher
from identity import services as identity

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def site_url(path: str) -> str:
    from django.conf import settings

    return settings.SITE_URL.rstrip("/") + path


def criteria_narrative(course: Course) -> str:
    """What the course requires, and only that (the rule of `grading.completion_missing`):
    its required readings, its required chain labs, the pass mark of its required quizzes. A
    course without labs says nothing of labs, one without quizzes nothing of a quiz average."""
    kinds = list(
        Lesson.objects.filter(module__course=course, is_required=True).values_list(
            "kind", flat=True
        )
    )
    labs = kinds.count(Lesson.Kind.LAB)
    requirements = []
    if Lesson.Kind.TEXT in kinds:
        requirements.append(_("complete every required reading"))
    if labs:
        requirements.append(
            ngettext("pass its %(count)d chain lab", "pass its %(count)d chain labs", labs)
            % {"count": labs}
        )
    if Lesson.Kind.QUIZ in kinds:
        requirements.append(
            _("reach an average of at least %(mark)d%% in its quizzes") % {"mark": course.pass_mark}
        )
    if not requirements:
        return _("Enrol in %(course)s.") % {"course": course.title}
    return _("To complete %(course)s: %(requirements)s.") % {
        "course": course.title,
        "requirements": "; ".join(requirements),
    }


def achievement(course: Course, issuer_did: str) -> dict:
    """The Open Badges 3.0 Achievement a course awards, with its criteria. Written into each
    credential when it is signed: a change here reaches new certificates only (an issued one
    keeps the narrative it was signed with)."""
    criteria = criteria_narrative(course)
    return {
        "id": site_url(course.get_absolute_url()),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": course.title,
        "description": course.summary[:1000],
        "criteria": {"id": site_url(course.get_absolute_url()), "narrative": criteria},
        "inLanguage": course.language,
        "creator": {
            "id": issuer_did,
            "type": ["Profile"],
            "name": course.university.name,
        },
    }


def _issuer(course: Course):
    return identity.issuer_for_university(
        course.university.slug, name=course.university.name, name_ko=course.university.name_ko
    )


@transaction.atomic
def certificates_issue(
    *, course: Course, cryptosuite: str = "eddsa-rdfc-2022"
) -> list[Certificate]:
    """Issues every pending certificate of the course as one batch: each an OpenBadgeCredential
    signed by the university's did:web key, bound to the student's B Pass did:key, with a status
    list entry (revocable). Anchors each credential (identity) and a new version of the course's
    batch listing every credential digest. Idempotent: issued certificates are skipped."""
    course = Course.objects.select_for_update().select_related("university").get(pk=course.pk)
    batch, _created = CertificateBatch.objects.select_for_update().get_or_create(course=course)
    pending = list(
        Certificate.objects.select_for_update()
        .filter(enrollment__course=course, status=Certificate.Status.PENDING)
        .select_related("enrollment__student")
        .order_by("pk")
    )
    if not pending:
        return []
    issuer = _issuer(course)
    award = achievement(course, issuer.did)
    now = timezone.now()
    for certificate in pending:
        student = certificate.enrollment.student
        wallet = identity.wallet_open(user=student)
        credential = identity.credential_issue(
            issuer=issuer,
            subject_did=wallet.did,
            types=["OpenBadgeCredential"],
            contexts=[OB_CONTEXT],
            claims={"type": ["AchievementSubject"], "achievement": award},
            holder=student,
            name=course.title,
            cryptosuite=cryptosuite,
        )
        certificate.credential = credential
        certificate.batch = batch
        certificate.status = Certificate.Status.ISSUED
        certificate.issued_at = now
        certificate.save(update_fields=["credential", "batch", "status", "issued_at"])
    batch.version += 1
    batch.save(update_fields=["version"])
    anchor_record(
        kind="education.certificate_batch",
        ref=str(batch.public_id),
        version=batch.version,
        data={
            "course": str(course.public_id),
            "issuer": issuer.did,
            "credentialDigests": sorted(
                Certificate.objects.filter(batch=batch)
                .exclude(credential=None)
                .values_list("credential__digest", flat=True)
            ),
        },
        public=True,
    )
    return pending


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, by) -> Certificate:
    """Revokes an issued certificate through the university's status list (identity re-signs
    and anchors the list and the credential's new version). Only the course's university's
    instructors or education staff; refused without a reason."""
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("enrollment__course", "credential")
        .get(pk=certificate.pk)
    )
    require_teacher(by, certificate.enrollment.course.university_id)
    if certificate.status != Certificate.Status.ISSUED:
        raise ValidationError({"status": _("Only an issued certificate can be revoked.")})
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    identity.credential_revoke(credential=certificate.credential, reason=reason, by=by)
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_reason = reason.strip()[:500]
    certificate.save(update_fields=["status", "revoked_reason"])
    return certificate
