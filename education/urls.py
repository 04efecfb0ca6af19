from django.urls import path

from education.views import catalogue, certificates, gradebook, lessons, teaching

app_name = "education"

urlpatterns = [
    path("education/", catalogue.home, name="home"),
    path("education/me/", catalogue.my_learning, name="my-learning"),
    path("education/me/learning.csv", catalogue.my_learning_csv, name="my-learning-csv"),
    path("education/courses/<uuid:public_id>/", catalogue.course, name="course"),
    path("education/courses/<uuid:public_id>/enroll/", catalogue.enroll, name="enroll"),
    path("education/lessons/<uuid:public_id>/", lessons.lesson, name="lesson"),
    path("education/teach/", teaching.teach, name="teach"),
    path("education/teach/courses/new/", teaching.course_create, name="course-create"),
    path("education/teach/courses/<uuid:public_id>/", teaching.course_edit, name="course-edit"),
    path("education/teach/lessons/<uuid:public_id>/", teaching.lesson_edit, name="lesson-edit"),
    path(
        "education/teach/courses/<uuid:public_id>/gradebook/", gradebook.gradebook, name="gradebook"
    ),
    path(
        "education/teach/courses/<uuid:public_id>/gradebook.csv",
        gradebook.gradebook_csv,
        name="gradebook-csv",
    ),
    path(
        "education/teach/enrollments/<uuid:public_id>/decide/",
        teaching.enrollment_decide,
        name="enrollment-decide",
    ),
    path("certificates/<uuid:public_id>", certificates.certificate, name="certificate"),
    path(
        "certificates/<uuid:public_id>.json", certificates.certificate_json, name="certificate-json"
    ),
    path(
        "certificates/<uuid:public_id>/revoke",
        certificates.certificate_revoke,
        name="certificate-revoke",
    ),
]
