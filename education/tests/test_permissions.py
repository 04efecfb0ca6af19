"""Who may teach a university's courses: `can_teach` answers from one query of the groups."""

import pytest
from django.contrib.auth.models import AnonymousUser

from education.permissions import can_teach
from education.tests.factories import (
    EducationStaffFactory,
    InstructorFactory,
    UniversityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_who_may_teach_a_universitys_courses():
    # Given a university, its instructor, another's instructor, staff and a student
    university = UniversityFactory()
    own = InstructorFactory(university=university).user
    other = InstructorFactory().user
    profile_without_role = InstructorFactory(university=university, user__roles=[]).user
    staff = EducationStaffFactory()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    student = UserFactory()

    # Then only its instructor (with the role), education staff and superusers may
    assert can_teach(own, university.pk) is True
    assert can_teach(staff, university.pk) is True
    assert can_teach(superuser, university.pk) is True
    assert can_teach(other, university.pk) is False
    assert can_teach(profile_without_role, university.pk) is False
    assert can_teach(student, university.pk) is False
    assert can_teach(AnonymousUser(), university.pk) is False
    assert can_teach(None, university.pk) is False


def test_a_student_is_answered_from_one_query(django_assert_num_queries):
    university = UniversityFactory()
    student = UserFactory()

    with django_assert_num_queries(1):
        assert can_teach(student, university.pk) is False
