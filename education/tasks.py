from celery import shared_task

from education import services
from education.models import Course


@shared_task(acks_late=True, time_limit=600)
def certificates_issue_for_course(course_pk: int) -> int:
    """Issues the course's pending certificates as one batch; a re-run issues nothing twice."""
    course = Course.objects.filter(pk=course_pk).first()
    if course is None:
        return 0
    return len(services.certificates_issue(course=course))
