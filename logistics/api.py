"""`/api/v1/logistics/`: data-logger readings and genealogy traces."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .auth import CanCapture, CanQuery, PartnerKeyAuthentication, acting_party, sees_everything
from .models import Device, Location, Lot, Product


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

    @extend_schema(request=ReadingsInSerializer, responses={201: OpenApiTypes.OBJECT})
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

    @extend_schema(responses=OpenApiTypes.OBJECT)
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


class LocationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(read_only=True)
    gln = serializers.CharField(max_length=13)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Location.Kind.choices)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)


class ProductSerializer(serializers.Serializer):
    gtin = serializers.CharField(max_length=14)
    name = serializers.CharField(max_length=200)
    name_ko = serializers.CharField(max_length=200, required=False, default="")
    species = serializers.CharField(max_length=120, required=False, default="")
    product_form = serializers.ChoiceField(choices=Product.Form.choices)
    storage_class = serializers.ChoiceField(choices=Product.StorageClass.choices)


class DeviceSerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=200)
    attached_to = serializers.CharField(max_length=300, required=False, default="")


class MasterDataView(APIView):
    """A partner manages its own master data: GET lists its rows, POST registers one.

    Subclasses define `rows(party)` and `create(party, data)`.
    """

    authentication_classes = ReadingsView.authentication_classes
    permission_classes = [CanCapture]
    serializer_class: type[serializers.Serializer]

    def party(self, request):
        party = acting_party(request)
        if party is None:
            raise exceptions.PermissionDenied("act for a party (its API key or a member login)")
        return party

    def get(self, request):
        rows = self.rows(self.party(request))
        return Response(self.serializer_class(rows, many=True).data)

    def post(self, request):
        party = self.party(request)
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = self.create(party, serializer.validated_data)
        return Response(self.serializer_class(row).data, status=201)


class MasterDataItemView(APIView):
    """PATCH one master-data row: a party edits its own rows (another party's is 404), staff
    any row. Identifiers that events use cannot change; errors name the field (400).

    Subclasses define `rows(party)` (the rows the party may edit), `lookup` and `update`.
    """

    authentication_classes = ReadingsView.authentication_classes
    permission_classes = [CanCapture]
    serializer_class: type[serializers.Serializer]

    def get_row(self, request, key):
        if sees_everything(request):
            rows = self.rows(None)
        else:
            party = acting_party(request)
            if party is None:
                raise exceptions.PermissionDenied("act for a party (its API key or a member login)")
            rows = self.rows(party)
        row = rows.filter(**{self.lookup: key}).first()
        if row is None:
            raise exceptions.NotFound()
        return row

    def get(self, request, key):
        return Response(self.serializer_class(self.get_row(request, key)).data)

    def patch(self, request, key):
        row = self.get_row(request, key)
        serializer = self.serializer_class(row, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            row = self.update(row, dict(serializer.validated_data))
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        return Response(self.serializer_class(row).data)


class LocationView(MasterDataItemView):
    serializer_class = LocationSerializer
    lookup = "public_id"

    def rows(self, party):
        return Location.objects.all() if party is None else Location.objects.filter(party=party)

    def update(self, row, data):
        return services.location_update(location=row, changes=data)


class ProductView(MasterDataItemView):
    serializer_class = ProductSerializer
    lookup = "gtin"

    def rows(self, party):
        return Product.objects.all() if party is None else Product.objects.filter(owner=party)

    def update(self, row, data):
        return services.product_update(product=row, changes=data)


class LocationsView(MasterDataView):
    serializer_class = LocationSerializer

    def rows(self, party):
        return Location.objects.filter(party=party).order_by("name")

    def create(self, party, data):
        return services.location_create(party=party, **data)


class ProductsView(MasterDataView):
    serializer_class = ProductSerializer

    def rows(self, party):
        return Product.objects.filter(owner=party).order_by("name")

    def create(self, party, data):
        return services.product_create(owner=party, **data)


class DevicesView(MasterDataView):
    serializer_class = DeviceSerializer

    def rows(self, party):
        return Device.objects.filter(party=party).order_by("device_id")

    def create(self, party, data):
        return services.device_register(party=party, **data)


urlpatterns = [
    path("locations", LocationsView.as_view(), name="logistics-locations"),
    path("products", ProductsView.as_view(), name="logistics-products"),
    path("locations/<uuid:key>", LocationView.as_view(), name="logistics-location"),
    path("products/<str:key>", ProductView.as_view(), name="logistics-product"),
    path("devices", DevicesView.as_view(), name="logistics-devices"),
    path("readings", ReadingsView.as_view(), name="logistics-readings"),
    path("lots/<uuid:public_id>/trace", TraceView.as_view(), name="logistics-trace"),
]
