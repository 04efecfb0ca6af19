"""`/api/v1/safety/`: JSON for the report form (nearby duplicates), the public map and
"my reports". The machine-to-machine API of the city is Open311 (`open311.py`)."""

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from . import selectors
from .models import Category
from .serializers import (
    MapQuerySerializer,
    MyReportSerializer,
    NearbyQuerySerializer,
    NearbyReportSerializer,
)

app_name = "safety-api"


class NearbyView(APIView):
    """Open reports of a category within 50 m filed in the last 7 days (public data only)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(parameters=[NearbyQuerySerializer], responses=NearbyReportSerializer(many=True))
    def get(self, request):
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        category = Category.objects.filter(
            service_code=query.validated_data["service_code"]
        ).first()
        if category is None:
            return Response({"service_code": ["Unknown service_code."]}, status=400)
        reports = selectors.reports_near(
            lat=query.validated_data["lat"], long=query.validated_data["long"], category=category
        )
        return Response(NearbyReportSerializer(reports, many=True).data)


class MapView(APIView):
    """GeoJSON points of the public map: no reporter, no contact details."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(parameters=[MapQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = MapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        points = selectors.reports_for_map(
            bbox=query.validated_data.get("bbox"),
            service_code=query.validated_data.get("service_code", ""),
            status=query.validated_data.get("status", ""),
        )
        language = getattr(request, "LANGUAGE_CODE", "ko")
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point["long"], point["lat"]]},
                "properties": {
                    "service_request_id": str(point["public_id"]),
                    "service_code": point["category__service_code"],
                    "service_name": point[
                        "category__name_en" if language == "en" else "category__name_ko"
                    ],
                    "status": point["status"],
                    "created_at": point["created_at"].isoformat(),
                    "url": reverse(
                        "safety:report-detail", kwargs={"public_id": point["public_id"]}
                    ),
                },
            }
            for point in points
        ]
        return Response({"type": "FeatureCollection", "features": features})


class MinePagination(CursorPagination):
    ordering = "-created_at"


class MyReportsView(generics.ListAPIView):
    """The signed-in citizen's own reports."""

    serializer_class = MyReportSerializer
    pagination_class = MinePagination

    def get_queryset(self):
        return selectors.reports_of_user(user=self.request.user)


urlpatterns = [
    path("nearby", NearbyView.as_view(), name="nearby"),
    path("map", MapView.as_view(), name="map"),
    path("reports/mine", MyReportsView.as_view(), name="mine"),
]
