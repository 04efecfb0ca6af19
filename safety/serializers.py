from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Report


class NearbyQuerySerializer(serializers.Serializer):
    service_code = serializers.CharField(max_length=40)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    long = serializers.FloatField(min_value=-180, max_value=180)


_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
BBOX_PATTERN = rf"^(?:{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER})?$"


class MapQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(
        required=False,
        allow_blank=True,
        validators=[RegexValidator(BBOX_PATTERN)],
        help_text="min_long,min_lat,max_long,max_lat in degrees (min <= max).",
    )
    service_code = serializers.CharField(required=False, allow_blank=True, max_length=40)
    status = serializers.ChoiceField(
        choices=["", "open", "closed", *Report.Status.values], required=False, allow_blank=True
    )

    def validate_bbox(self, value: str):
        if not value:
            return None
        try:
            parts = [float(part) for part in value.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
            raise serializers.ValidationError(
                _("bbox is min_long,min_lat,max_long,max_lat in degrees.")
            )
        return tuple(parts)


class NearbyReportSerializer(serializers.Serializer):
    service_request_id = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    distance_m = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    weight = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")
    follow_url = serializers.SerializerMethodField()

    def get_distance_m(self, report) -> int:
        return round(report.distance_m)

    def get_follow_url(self, report) -> str:
        from django.urls import reverse

        return reverse("safety:report-follow", kwargs={"public_id": report.public_id})


class MyReportSerializer(serializers.ModelSerializer):
    service_request_id = serializers.CharField()
    service_code = serializers.CharField(source="category.service_code")
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Report
        fields = [
            "service_request_id",
            "service_code",
            "status",
            "status_notes",
            "lat",
            "long",
            "address",
            "created_at",
            "updated_at",
            "url",
        ]
