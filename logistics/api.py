"""`/api/v1/logistics/`: data-logger readings and genealogy traces."""

from django.urls import path
from rest_framework import authentication, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .auth import CanCapture, CanQuery, PartnerKeyAuthentication, acting_party, sees_everything
from .models import Lot


class ReadingSerializer(serializers.Serializer):
    time = serializers.CharField()
    celsius = serializers.DecimalField(max_digits=6, decimal_places=2)


class ReadingsInSerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=200)
    readings = ReadingSerializer(many=True, allow_empty=False, max_length=5000)


class ReadingsView(APIView):
    """POST {"device_id": "...", "readings": [{"time": "...", "celsius": 3.2}]} from a logger."""

    authentication_classes = [
        PartnerKeyAuthentication,
        authentication.SessionAuthentication,
        authentication.TokenAuthentication,
    ]
    permission_classes = [CanCapture]

    def post(self, request):
        serializer = ReadingsInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        party = None if sees_everything(request) else acting_party(request)
        result = services.readings_ingest(
            device_id=serializer.validated_data["device_id"],
            readings=[dict(r) for r in serializer.validated_data["readings"]],
            party=party,
        )
        return Response(result, status=201)


class TraceView(APIView):
    """GET ?direction=forward|back — the lot's genealogy (staff, auditors, parties of it)."""

    authentication_classes = ReadingsView.authentication_classes
    permission_classes = [CanQuery]

    def get(self, request, public_id):
        lot = Lot.objects.select_related("product").filter(public_id=public_id).first()
        visible = lot is not None and (
            sees_everything(request)
            or selectors.events_visible_to(party=acting_party(request))
            .filter(epcs__identifier=lot.identifier)
            .exists()
        )
        if not visible:
            return Response({"detail": "not found"}, status=404)
        direction = request.query_params.get("direction", "forward")
        if direction not in ("forward", "back"):
            return Response({"direction": ["forward or back"]}, status=400)
        found = selectors.trace(lot.identifier, forward=direction == "forward")
        return Response(
            {
                "lot": lot.identifier,
                "direction": direction,
                "items": [{"identifier": key, "depth": depth} for key, depth in found],
            }
        )


urlpatterns = [
    path("readings", ReadingsView.as_view(), name="logistics-readings"),
    path("lots/<uuid:public_id>/trace", TraceView.as_view(), name="logistics-trace"),
]
