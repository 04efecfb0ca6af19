"""`/api/v1/logistics/`: master data, data-logger readings and genealogy traces."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, serializers
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import APIView

from busanhub.accounts.authentication import TokenAuthentication

from . import selectors, services
from .auth import (
    CanCapture,
    CanQuery,
    PartnerKeyAuthentication,
    acting_parties,
    acting_party,
    edits_everything,
    sees_everything,
)
from .epcis import identifiers
from .models import Device, Location, Lot, PartnerKey, Party, Product


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
        TokenAuthentication,
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


# The schema's patterns; the GS1 check digit (the last digit) is checked by the services.
GLN_PATTERN = r"^[0-9]{13}$"
GTIN_PATTERN = r"^(?:[0-9]{8}|[0-9]{12,14})$"


def _gln(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        max_length=13,
        validators=[RegexValidator(GLN_PATTERN)],
        help_text="A GLN: 13 digits, the last a GS1 check digit.",
        **kwargs,
    )


def _gtin(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        max_length=14,
        validators=[RegexValidator(GTIN_PATTERN)],
        help_text="A GTIN-8, -12, -13 or -14, the last digit a GS1 check digit.",
        **kwargs,
    )


class PartySerializer(serializers.Serializer):
    public_id = serializers.UUIDField(read_only=True)
    gln = _gln()
    name = serializers.CharField(max_length=200)
    name_ko = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    kind = serializers.ChoiceField(choices=Party.Kind.choices)
    contact_email = serializers.EmailField(required=False, default="", allow_blank=True)
    company_prefix = serializers.CharField(
        max_length=12, required=False, default="", allow_blank=True
    )
    is_active = serializers.BooleanField(required=False, default=True)


class LocationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(read_only=True)
    party = serializers.CharField(source="party.gln", read_only=True)
    gln = _gln()
    name = serializers.CharField(max_length=200)
    name_ko = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    kind = serializers.ChoiceField(choices=Location.Kind.choices)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False, default=True)


class ProductSerializer(serializers.Serializer):
    owner = serializers.SerializerMethodField()
    gtin = _gtin()
    name = serializers.CharField(max_length=200)
    name_ko = serializers.CharField(max_length=200, required=False, default="")
    species = serializers.CharField(max_length=120, required=False, default="")
    product_form = serializers.ChoiceField(choices=Product.Form.choices)
    storage_class = serializers.ChoiceField(choices=Product.StorageClass.choices)
    is_active = serializers.BooleanField(required=False, default=True)

    def get_owner(self, product) -> str | None:
        return product.owner.gln if product.owner_id else None


class LotSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(read_only=True)
    gtin = _gtin(source="product.gtin")
    lot_code = serializers.CharField(max_length=20)
    trace_number = serializers.CharField(max_length=40, required=False, default="")
    identifier = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)


class DeviceSerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=200)
    attached_to = serializers.CharField(max_length=300, required=False, default="")


def _error_body(exc: DjangoValidationError) -> dict:
    # get_error_detail keeps each message's code for the `errors` of busanhub.api.
    if hasattr(exc, "error_dict"):
        return get_error_detail(exc)
    return {"non_field_errors": get_error_detail(exc)}


def _active_filter(request, rows):
    """`?is_active=true|false` on the lists of rows that can be deactivated."""
    raw = request.query_params.get("is_active")
    if raw is None:
        return rows
    value = {"true": True, "1": True, "false": False, "0": False}.get(raw.lower())
    if value is None:
        raise exceptions.ValidationError({"is_active": ["true or false"]})
    return rows.filter(is_active=value)


class _ListSchema(AutoSchema):
    """GET of a master-data collection answers a list (and gets a `_list` operation id)."""

    def _is_list_view(self, serializer=None) -> bool:
        return self.method == "GET"

    def _is_create_operation(self) -> bool:
        return self.method == "POST"  # 201 Created


class MasterDataView(APIView):
    """A partner manages its own master data: GET lists its rows (staff: every row;
    `?is_active=true|false` where rows can be deactivated), POST registers one for the party
    the request acts for.

    Subclasses define `rows(parties)` (None: every row) and `create(party, data)`.
    """

    authentication_classes = ReadingsView.authentication_classes
    permission_classes = [CanCapture]
    serializer_class: type[serializers.Serializer]
    can_deactivate = True
    schema = _ListSchema()

    def party(self, request):
        party = acting_party(request)
        if party is None:
            raise exceptions.PermissionDenied("act for a party (its API key or a member login)")
        return party

    def get(self, request):
        if sees_everything(request):
            rows = self.rows(None)
        else:
            self.party(request)
            rows = self.rows(acting_parties(request))
        if self.can_deactivate:
            rows = _active_filter(request, rows)
        return Response(self.serializer_class(rows, many=True).data)

    def post(self, request):
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = self.create(request, dict(serializer.validated_data))
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_error_body(exc)) from exc
        return Response(self.serializer_class(row).data, status=201)


class MasterDataItemView(APIView):
    """GET, PATCH or DELETE one master-data row: a party reads and edits its own rows (another
    party's is 404), logistics staff any row. Identifiers that events use cannot change; errors
    name the field (400). `{"is_active": false}` deactivates a row; DELETE of a row that events
    or other records use is refused (409) and changes nothing.

    Subclasses define `rows(parties)` (None: every row), `lookup`, `update` and `delete`.
    """

    authentication_classes = ReadingsView.authentication_classes
    permission_classes = [CanCapture]
    serializer_class: type[serializers.Serializer]

    def get_row(self, request, key, *, write: bool):
        if edits_everything(request) or (not write and sees_everything(request)):
            rows = self.rows(None)
        else:
            parties = acting_parties(request)
            if not parties:
                raise exceptions.PermissionDenied("act for a party (its API key or a member login)")
            rows = self.rows(parties)
        row = rows.filter(**{self.lookup: key}).first()
        if row is None:
            raise exceptions.NotFound()
        return row

    def get(self, request, key):
        return Response(self.serializer_class(self.get_row(request, key, write=False)).data)

    def patch(self, request, key):
        row = self.get_row(request, key, write=True)
        serializer = self.serializer_class(row, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            row = self.update(row, dict(serializer.validated_data))
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_error_body(exc)) from exc
        return Response(self.serializer_class(row).data)

    def delete(self, request, key):
        row = self.get_row(request, key, write=True)
        try:
            self.remove(row)
        except DjangoValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=409)
        return Response(status=204)


class PartyView(MasterDataItemView):
    serializer_class = PartySerializer
    lookup = "public_id"

    def rows(self, parties):
        return (
            Party.objects.all() if parties is None else Party.objects.filter(pk__in=_pks(parties))
        )

    def update(self, row, data):
        return services.party_update(party=row, changes=data)

    def remove(self, row):
        services.party_delete(party=row)


class LocationView(MasterDataItemView):
    serializer_class = LocationSerializer
    lookup = "public_id"

    def rows(self, parties):
        rows = Location.objects.select_related("party")
        return rows if parties is None else rows.filter(party__in=_pks(parties))

    def update(self, row, data):
        return services.location_update(location=row, changes=data)

    def remove(self, row):
        services.location_delete(location=row)


class ProductView(MasterDataItemView):
    serializer_class = ProductSerializer
    lookup = "gtin"

    def rows(self, parties):
        rows = Product.objects.select_related("owner")
        return rows if parties is None else rows.filter(owner__in=_pks(parties))

    def update(self, row, data):
        return services.product_update(product=row, changes=data)

    def remove(self, row):
        services.product_delete(product=row)


class LotView(MasterDataItemView):
    serializer_class = LotSerializer
    lookup = "public_id"

    def rows(self, parties):
        rows = Lot.objects.select_related("product")
        return rows if parties is None else rows.filter(product__owner__in=_pks(parties))

    def update(self, row, data):
        if "product" in data:
            # A lot stays with its product: its GTIN is part of its identity.
            raise DjangoValidationError({"gtin": _("A lot's product cannot change.")})
        return services.lot_update(lot=row, changes=data)

    def remove(self, row):
        services.lot_delete(lot=row)


def _pks(parties) -> list[int]:
    return [party.pk for party in parties]


class PartiesView(MasterDataView):
    """A signed-in member lists its parties and registers another one (which it joins); staff
    list and register any. An API key acts for its own party only, so it cannot register one."""

    serializer_class = PartySerializer

    def rows(self, parties):
        rows = Party.objects.order_by("name")
        return rows if parties is None else rows.filter(pk__in=_pks(parties))

    def create(self, request, data):
        if isinstance(request.auth, PartnerKey):
            raise exceptions.PermissionDenied("an API key acts for its own party only")
        member = None if edits_everything(request) else request.user
        data.pop("is_active", None)
        return services.party_create(member=member, **data)


class LocationsView(MasterDataView):
    serializer_class = LocationSerializer

    def rows(self, parties):
        rows = Location.objects.select_related("party").order_by("name")
        return rows if parties is None else rows.filter(party__in=_pks(parties))

    def create(self, request, data):
        data.pop("is_active", None)
        return services.location_create(party=self.party(request), **data)


class ProductsView(MasterDataView):
    serializer_class = ProductSerializer

    def rows(self, parties):
        rows = Product.objects.select_related("owner").order_by("name")
        return rows if parties is None else rows.filter(owner__in=_pks(parties))

    def create(self, request, data):
        data.pop("is_active", None)
        return services.product_create(owner=self.party(request), **data)


class LotsView(MasterDataView):
    """Lots of the party's products (staff: every lot); POST registers a lot before any event
    names it: {"gtin": …, "lot_code": …, "trace_number": …}."""

    serializer_class = LotSerializer
    can_deactivate = False

    def rows(self, parties):
        rows = Lot.objects.select_related("product").order_by("-created_at", "-pk")
        return rows if parties is None else rows.filter(product__owner__in=_pks(parties))

    def create(self, request, data):
        raw = data.pop("product")["gtin"]
        try:
            gtin = identifiers.normalize_gtin(raw)
        except ValueError as exc:
            raise DjangoValidationError({"gtin": _("Enter a valid GTIN.")}) from exc
        products = Product.objects.filter(gtin=gtin)
        if not edits_everything(request):
            products = products.filter(owner__in=_pks(acting_parties(request)))
        product = products.first()
        if product is None:
            raise DjangoValidationError({"gtin": _("None of your products has this GTIN.")})
        return services.lot_create(product=product, **data)


class DevicesView(MasterDataView):
    serializer_class = DeviceSerializer
    can_deactivate = False

    def rows(self, parties):
        rows = Device.objects.order_by("device_id")
        return rows if parties is None else rows.filter(party__in=_pks(parties))

    def create(self, request, data):
        return services.device_register(party=self.party(request), **data)


urlpatterns = [
    path("parties", PartiesView.as_view(), name="logistics-parties"),
    path("parties/<uuid:key>", PartyView.as_view(), name="logistics-party"),
    path("locations", LocationsView.as_view(), name="logistics-locations"),
    path("products", ProductsView.as_view(), name="logistics-products"),
    path("locations/<uuid:key>", LocationView.as_view(), name="logistics-location"),
    path("products/<str:key>", ProductView.as_view(), name="logistics-product"),
    path("lots", LotsView.as_view(), name="logistics-lots"),
    path("lots/<uuid:key>", LotView.as_view(), name="logistics-lot"),
    path("devices", DevicesView.as_view(), name="logistics-devices"),
    path("readings", ReadingsView.as_view(), name="logistics-readings"),
    path("lots/<uuid:public_id>/trace", TraceView.as_view(), name="logistics-trace"),
]
