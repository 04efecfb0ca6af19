"""The EPCIS 2.0 REST bindings: /epcis/capture, /epcis/events (JSON / JSON-LD)."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from busanhub.accounts.authentication import TokenAuthentication

from . import selectors, services
from .auth import CanCapture, CanQuery, PartnerKeyAuthentication, acting_party, sees_everything
from .models import CaptureJob, Event


class JSONLDParser(JSONParser):
    media_type = "application/ld+json"


class EPCISView(APIView):
    authentication_classes = [
        PartnerKeyAuthentication,
        authentication.SessionAuthentication,
        TokenAuthentication,
    ]
    parser_classes = [JSONParser, JSONLDParser]

    def _headers(self) -> dict:
        return {
            "GS1-EPCIS-Version": "2.0.0",
            "GS1-CBV-Version": "2.0.0",
            "GS1-EPCIS-Capture-Limit": str(services.MAX_EVENTS_PER_DOCUMENT),
        }

    def captured(self, request, capture, **payload):
        """Runs a capture service for the acting party: 202 + Location of the capture job, or
        the EPCIS ValidationException with the service's status and JSON paths."""
        try:
            result = capture(
                **payload,
                party=acting_party(request),
                user=request.user if request.user.is_authenticated else None,
            )
        except services.CaptureError as exc:
            # 403: the events name another party's places, or the capturer is deactivated.
            kind = "SecurityException" if exc.status == 403 else "ValidationException"
            return Response(
                {"type": f"epcisException:{kind}", "errors": exc.errors},
                status=exc.status,
                headers=self._headers(),
            )
        body = _job_body(request, result.job)
        return Response(
            body,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": body["url"], **self._headers()},
        )

    def visible_events(self, request):
        if sees_everything(request):
            return Event.objects.all()
        party = acting_party(request)
        if party is None:
            return Event.objects.none()
        return Event.objects.filter(parties=party)


def _job_body(request, job: CaptureJob) -> dict:
    return {
        "captureID": str(job.public_id),
        "running": job.status == CaptureJob.Status.RUNNING,
        "success": job.status == CaptureJob.Status.SUCCESS,
        "captureErrorBehaviour": "rollback",
        "errors": job.errors,
        "eventCount": job.event_count,
        "url": request.build_absolute_uri(
            reverse("logistics:epcis-capture-job", args=[job.public_id])
        ),
    }


class CaptureView(EPCISView):
    """POST an EPCISDocument: 202 + Location of the capture job; 400/422 naming the JSON path."""

    permission_classes = [CanCapture]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT})
    def post(self, request):
        return self.captured(request, services.epcis_document_capture, document=request.data)


class CaptureJobView(EPCISView):
    permission_classes = [CanCapture]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, capture_id):
        jobs = CaptureJob.objects.all()
        if not sees_everything(request):
            party = acting_party(request)
            mine = Q(party=party) if party else Q(pk__in=[])
            if request.user.is_authenticated:
                mine |= Q(user=request.user)
            jobs = jobs.filter(mine)
        job = get_object_or_404(jobs, public_id=capture_id)
        return Response(_job_body(request, job), headers=self._headers())


class EventsView(EPCISView):
    """GET: SimpleEventQuery → EPCISQueryDocument (Link: next page). POST: capture one event."""

    def get_permissions(self):
        return [CanCapture()] if self.request.method == "POST" else [CanQuery()]

    @extend_schema(
        operation_id="epcis_events_query",
        responses={(200, "application/ld+json"): OpenApiTypes.OBJECT},
    )
    def get(self, request):
        try:
            page, token = selectors.events_query(
                params=request.query_params, base=self.visible_events(request)
            )
        except selectors.QueryError as exc:
            return Response(
                {
                    "type": "epcisException:QueryParameterException",
                    "title": str(exc),
                    "parameter": exc.parameter,
                },
                status=status.HTTP_400_BAD_REQUEST,
                headers=self._headers(),
            )
        document = selectors.query_document(page, creation=timezone.now())
        headers = self._headers()
        if token:
            params = request.query_params.copy()
            params["nextPageToken"] = token
            url = request.build_absolute_uri(request.path) + "?" + params.urlencode()
            headers["Link"] = f'<{url}>; rel="next"'
        return Response(document, headers=headers, content_type="application/ld+json")

    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT})
    def post(self, request):
        return self.captured(request, services.epcis_event_capture, event=request.data)


class EventView(EPCISView):
    permission_classes = [CanQuery]

    @extend_schema(
        operation_id="epcis_event_retrieve",
        responses={(200, "application/ld+json"): OpenApiTypes.OBJECT},
    )
    def get(self, request, event_id):
        event = self.visible_events(request).filter(event_id=event_id).first()
        if event is None:
            return Response(
                {"type": "epcisException:NoSuchResourceException", "title": "no such event"},
                status=status.HTTP_404_NOT_FOUND,
            )
        body = selectors.event_as_epcis(event)
        body = {
            "@context": selectors.query_document([event], creation=timezone.now())["@context"],
            **body,
        }
        return Response(body, headers=self._headers(), content_type="application/ld+json")
