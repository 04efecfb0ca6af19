"""Who may author, grade and revoke: the course's university's instructors and education staff."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

STAFF_GROUP = "staff-education"


def is_education_staff(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.groups.filter(name=STAFF_GROUP).exists()


def instructor_university_id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    instructor = getattr(user, "education_instructor", None)
    if instructor is None or not user.groups.filter(name="instructor").exists():
        return None
    return instructor.university_id


def can_teach(user, university_id: int) -> bool:
    """`is_education_staff(user) or instructor_university_id(user) == university_id`, with one
    query of the user's groups for both (the course and lesson pages ask it of every reader)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    groups = set(
        user.groups.filter(name__in=[STAFF_GROUP, "instructor"]).values_list("name", flat=True)
    )
    if STAFF_GROUP in groups:
        return True
    if "instructor" not in groups:
        return False
    instructor = getattr(user, "education_instructor", None)
    return can_teach_given(
        user,
        university_id,
        groups=groups,
        instructor_university_id=instructor.university_id if instructor else None,
    )


def can_teach_given(
    user, university_id: int, *, groups, instructor_university_id: int | None
) -> bool:
    """`can_teach` from the user's groups (among STAFF_GROUP and "instructor") and the
    university of their instructor profile, read by the caller (selectors.reader_of_course reads
    them with the reader's enrollment)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or STAFF_GROUP in groups:
        return True
    return (
        "instructor" in groups
        and instructor_university_id is not None
        and instructor_university_id == university_id
    )


def require_teacher(user, university_id: int) -> None:
    """Raises PermissionDenied unless the user teaches at (or administers) that university."""
    if not can_teach(user, university_id):
        raise PermissionDenied(_("Only this university's instructors may change its courses."))
