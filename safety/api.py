"""`/api/v1/safety/`: JSON for the report form (nearby duplicates), the public map and
"my reports". The machine-to-machine API of the city is Open311 (`open311.py`)."""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from busanhub.url_fillers import url_filler

from . import catalogue, geo, map_grid, selectors, services
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


MAP_MAX_AGE_S = 30  # how long a browser may show a map response without asking again
MAP_CACHE_S = 300  # a clustered body in the cache; a report's change renews the version first
# A body of points is cached only for the whole city (no bbox: API clients, every reader alike):
# a browser's viewport is exact to 6 decimals and rarely asked twice, and storing each one cost
# more (a pickle and a SET) than the rare hit saved.
MAP_POINTS_CACHE_S = 300


def _map_body(view: selectors.MapView, language: str) -> bytes:
    """GeoJSON of a map view, compact: points as before (one Feature a report), or one Feature
    a cluster with its `count` at the mean place of its reports; `clustered` says which."""
    if view.is_clustered:
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(long, 6), round(lat, 6)]},
                "properties": {"count": count},
            }
            for _x, _y, count, lat, long in view.clusters
        ]
    else:
        detail_url = url_filler("safety:report-detail")
        name = "category__name_en" if language == "en" else "category__name_ko"
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point["long"], point["lat"]]},
                "properties": {
                    "service_request_id": str(point["public_id"]),
                    "service_code": point["category__service_code"],
                    "service_name": point[name],
                    "status": point["status"],
                    "created_at": point["created_at"].isoformat(),
                    "url": detail_url(point["public_id"]),
                },
            }
            for point in view.points
        ]
    collection = {
        "type": "FeatureCollection",
        "clustered": view.is_clustered,
        "count": sum(cluster[2] for cluster in view.clusters) or len(view.points),
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()


class MapView(APIView):
    """GeoJSON of the public map: no reporter, no contact details. A viewport holding more than
    map_grid.POINTS_MAX reports comes as clusters of grid cells (`clustered: true`), a smaller
    one as its reports. Clustered bodies and the whole city's points are cached until a report
    changes (points also until the catalogue does); every answer has an ETag and a short
    max-age."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(parameters=[MapQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = MapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        bbox = query.validated_data.get("bbox")
        service_code = query.validated_data.get("service_code", "")
        status = query.validated_data.get("status", "")
        language = getattr(request, "LANGUAGE_CODE", "ko")
        level, cells = map_grid.viewport(bbox, geo.busan_bounds())
        points_max = int(getattr(settings, "SAFETY_MAP_POINTS_MAX", map_grid.POINTS_MAX))
        # Clusters depend on the cells, not the exact viewport nor the language; the whole
        # city's points on the language (the categories' names). Each entry holds the versions
        # it was built in (the reports' map version; for points also the catalogue's
        # generation), so the versions and the entries come in one round trip and a stale entry
        # is skipped.
        filters = (points_max, service_code, status)
        cluster_key = _map_key("clusters", level, cells, *filters)
        points_key = _map_key("points", language, *filters) if bbox is None else ""
        keys = [services.MAP_VERSION_KEY, catalogue.CATALOGUE.key, cluster_key]
        found = cache.get_many([*keys, points_key] if points_key else keys)
        version = found.get(services.MAP_VERSION_KEY)
        if version is None:
            services.map_version_renew()
            version = cache.get(services.MAP_VERSION_KEY)
        points_version = (version, catalogue.CATALOGUE.current(found.get(catalogue.CATALOGUE.key)))
        entry = found.get(cluster_key)
        if entry is None or entry[0] != version:
            entry = found.get(points_key) if points_key else None
            if entry is None or entry[0] != points_version:
                view = selectors.map_view(bbox=bbox, service_code=service_code, status=status)
                body = _map_body(view, language)
                etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
                if view.is_clustered:
                    entry = (version, etag, body)
                    cache.set(cluster_key, entry, MAP_CACHE_S)
                else:
                    entry = (points_version, etag, body)
                    if points_key:
                        cache.set(points_key, entry, MAP_POINTS_CACHE_S)
        _, etag, body = entry
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={MAP_MAX_AGE_S}"
        patch_vary_headers(response, ["Accept-Language", "Cookie"])
        return response


def _map_key(*parts) -> str:
    return "safety:map:" + hashlib.sha256(repr(parts).encode()).hexdigest()


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
