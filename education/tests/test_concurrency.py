import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from education import services
from education.models import Enrollment
from education.tests.factories import CourseFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_enrollments_never_exceed_the_capacity():
    # Given a course with 3 places and 8 students who enroll at the same moment
    course = CourseFactory(capacity=3)
    students = [UserFactory() for _ in range(8)]
    barrier = threading.Barrier(len(students))
    outcomes: list[str] = []

    def enroll(student):
        try:
            barrier.wait()
            services.enrollment_create(course=course, student=student)
            outcomes.append("enrolled")
        except ValidationError as error:
            outcomes.append(error.message_dict["course"][0])
        finally:
            connection.close()

    # When they all enroll in real threads (each with its own database connection)
    threads = [threading.Thread(target=enroll, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly 3 got in and 5 were told the course is full
    assert sorted(outcomes) == ["This course is full."] * 5 + ["enrolled"] * 3
    assert Enrollment.objects.filter(course=course).count() == 3
