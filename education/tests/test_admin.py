import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from busanhub.accounts.roles import grant_app_permissions
from education.models import Course
from education.tests.factories import CourseFactory, InstructorFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _member(role: str):
    grant_app_permissions(
        apps, None, group_name=role, app_labels=["education"], view_only=role == "auditor"
    )
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=role))
    return user


def test_education_staff_see_every_universitys_courses(client):
    first, second = CourseFactory(), CourseFactory()
    client.force_login(_member("staff-education"))

    response = client.get(reverse("admin:education_course_changelist"))

    assert response.status_code == 200
    assert {c.pk for c in response.context["cl"].result_list} == {first.pk, second.pk}


def test_an_instructor_in_the_back_office_sees_only_their_university(client):
    own, _other = CourseFactory(), CourseFactory()
    instructor = InstructorFactory(university=own.university)
    user = instructor.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    grant_app_permissions(apps, None, group_name="instructor", app_labels=["education"])
    client.force_login(user)

    response = client.get(reverse("admin:education_course_changelist"))
    change = client.get(reverse("admin:education_course_change", args=[_other.pk]))

    assert [c.pk for c in response.context["cl"].result_list] == [own.pk]
    assert change.status_code == 302  # Django's admin sends a missing object to the index


def test_the_auditor_may_look_but_not_change(client):
    course = CourseFactory(title="Original")
    client.force_login(_member("auditor"))

    view = client.get(reverse("admin:education_course_change", args=[course.pk]))
    change = client.post(
        reverse("admin:education_course_change", args=[course.pk]), {"title": "Changed"}
    )

    assert view.status_code == 200
    assert change.status_code == 403
    assert Course.objects.get(pk=course.pk).title == "Original"
