from django.urls import path, re_path

from . import epcis_api, views

app_name = "logistics"

urlpatterns = [
    path("logistics/", views.home, name="home"),
    re_path(
        r"^01/(?P<gtin>\d{8,14})/10/(?P<lot_code>[^/]{1,20})/?$",
        views.provenance,
        name="provenance",
    ),
    path("epcis/capture", epcis_api.CaptureView.as_view(), name="epcis-capture"),
    path(
        "epcis/capture/<uuid:capture_id>",
        epcis_api.CaptureJobView.as_view(),
        name="epcis-capture-job",
    ),
    path("epcis/events", epcis_api.EventsView.as_view(), name="epcis-events"),
    path("epcis/events/<path:event_id>", epcis_api.EventView.as_view(), name="epcis-event"),
]
