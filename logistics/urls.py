from django.urls import path, re_path

from . import epcis_api, views

app_name = "logistics"

urlpatterns = [
    path("logistics/", views.home, name="home"),
    path("logistics/partner/", views.masterdata_home, name="md-home"),
    path("logistics/partner/<slug:kind>/", views.masterdata_list, name="md-list"),
    path("logistics/partner/<slug:kind>/new", views.masterdata_create, name="md-create"),
    path("logistics/partner/<slug:kind>/<str:key>/", views.masterdata_edit, name="md-edit"),
    path(
        "logistics/partner/<slug:kind>/<str:key>/active",
        views.masterdata_set_active,
        name="md-active",
    ),
    path(
        "logistics/partner/<slug:kind>/<str:key>/delete",
        views.masterdata_delete,
        name="md-delete",
    ),
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
