"""Every write of the education app."""

from .certificates import certificate_revoke, certificates_issue
from .courses import (
    course_create,
    course_publish,
    course_update,
    lesson_create,
    lesson_image_add,
    lesson_update,
    module_create,
    question_create,
)
from .labs import (
    faucet_request,
    lab_contract_ensure,
    lab_max_failures,
    lab_open,
    lab_submit,
    sandbox_anchor,
    sandbox_open,
)
from .learning import (
    enrollment_check_completion,
    enrollment_create,
    enrollment_decide,
    enrollments_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_attempt_submit,
)

__all__ = [
    "certificate_revoke",
    "certificates_issue",
    "course_create",
    "course_publish",
    "course_update",
    "enrollment_check_completion",
    "enrollment_create",
    "enrollment_decide",
    "enrollments_create",
    "faucet_request",
    "lab_contract_ensure",
    "lab_max_failures",
    "lab_open",
    "lab_submit",
    "lesson_complete",
    "lesson_create",
    "lesson_image_add",
    "lesson_update",
    "module_create",
    "question_create",
    "quiz_attempt_start",
    "quiz_attempt_submit",
    "sandbox_anchor",
    "sandbox_open",
]
