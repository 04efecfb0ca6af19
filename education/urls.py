from django.urls import path

from education import views

app_name = "education"

urlpatterns = [
    path("education/", views.home, name="home"),
    path("education/me/", views.my_learning, name="my-learning"),
    path("education/courses/<uuid:public_id>/", views.course, name="course"),
    path("education/courses/<uuid:public_id>/enroll/", views.enroll, name="enroll"),
    path("education/lessons/<uuid:public_id>/", views.lesson, name="lesson"),
    path("education/teach/", views.teach, name="teach"),
    path("education/teach/courses/new/", views.course_create, name="course-create"),
    path("education/teach/courses/<uuid:public_id>/", views.course_edit, name="course-edit"),
    path("education/teach/lessons/<uuid:public_id>/", views.lesson_edit, name="lesson-edit"),
    path("education/teach/courses/<uuid:public_id>/gradebook/", views.gradebook, name="gradebook"),
    path(
        "education/teach/courses/<uuid:public_id>/gradebook.csv",
        views.gradebook_csv,
        name="gradebook-csv",
    ),
    path(
        "education/teach/enrollments/<uuid:public_id>/decide/",
        views.enrollment_decide,
        name="enrollment-decide",
    ),
    path("certificates/<uuid:public_id>", views.certificate, name="certificate"),
    path("certificates/<uuid:public_id>.json", views.certificate_json, name="certificate-json"),
    path(
        "certificates/<uuid:public_id>/revoke", views.certificate_revoke, name="certificate-revoke"
    ),
]
