from django.urls import path, register_converter

from . import open311, views

app_name = "safety"


class FormatConverter:
    regex = "[a-z]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "fmt")

open311_patterns = [
    path("open311/v2/discovery.<fmt:fmt>", open311.discovery, name="open311-discovery"),
    path("open311/v2/services.<fmt:fmt>", open311.service_list, name="open311-services"),
    path(
        "open311/v2/services/<str:service_code>.<fmt:fmt>",
        open311.service_definition,
        name="open311-service",
    ),
    path("open311/v2/requests.<fmt:fmt>", open311.requests_collection, name="open311-requests"),
    path(
        "open311/v2/requests/<str:service_request_id>.<fmt:fmt>",
        open311.request_detail,
        name="open311-request",
    ),
    path("open311/v2/tokens/<str:token>.<fmt:fmt>", open311.token_detail, name="open311-token"),
]

urlpatterns = [
    *open311_patterns,
    path("safety/", views.home, name="home"),
    path("safety/report/", views.report_new, name="report-new"),
    path("safety/mine/", views.my_reports, name="mine"),
    path("safety/mine.csv", views.my_reports_csv, name="mine-csv"),
    path("safety/map/", views.public_map, name="map"),
    path("safety/reports/<uuid:public_id>/", views.report_detail, name="report-detail"),
    path("safety/reports/<uuid:public_id>/follow/", views.report_follow, name="report-follow"),
    path("safety/photos/<uuid:public_id>.jpg", views.photo, name="photo"),
    path("safety/photos/<uuid:public_id>/original", views.photo_original, name="photo-original"),
]
