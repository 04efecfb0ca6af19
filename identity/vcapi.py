"""W3C VC API doors: /vc-api/credentials/issue, /credentials/verify, /presentations/verify."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from identity import serializers as s
from identity import services, verification

ISSUER_GROUP = "identity-issuer"


class IsIdentityIssuer(permissions.BasePermission):
    message = "Only members of the identity-issuer group may issue credentials."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.is_superuser or user.groups.filter(name=ISSUER_GROUP).exists())
        )


def _errors_as_list(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{field}: {m}" if field != "credential" else m
            for field, messages in exc.message_dict.items()
            for m in messages
        ]
    return list(exc.messages)


# The credential cannot be issued as given: one message per problem.
ISSUE_REFUSED = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["detail", "errors"],
}


class IssueCredentialView(APIView):
    permission_classes = [IsIdentityIssuer]

    @extend_schema(request=s.IssueRequestSerializer, responses={201: dict, 422: ISSUE_REFUSED})
    def post(self, request):
        incoming = s.IssueRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        options = incoming.validated_data["options"]
        try:
            credential = services.credential_issue_document(
                issuer=services.city_issuer(),
                credential=incoming.validated_data["credential"],
                cryptosuite=options.get("cryptosuite", "eddsa-rdfc-2022"),
                with_status="credentialStatus" in options,
            )
        except ValidationError as exc:
            errors = _errors_as_list(exc)
            return Response(
                {"detail": "; ".join(errors), "errors": errors},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response({"verifiableCredential": credential.document}, status=201)


# 400: the document did not verify (the result says why), or the request was malformed.
VERIFY_REFUSED = {
    "anyOf": [
        {"$ref": "#/components/schemas/VerificationResult"},
        {"$ref": "#/components/schemas/Error"},
    ]
}


class VerifyCredentialView(APIView):
    """Anyone may verify; nothing is stored."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=s.VerifyCredentialRequestSerializer,
        responses={200: s.VerificationResultSerializer, 400: VERIFY_REFUSED},
    )
    def post(self, request):
        incoming = s.VerifyCredentialRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        result = verification.credential_verify(
            incoming.validated_data["verifiableCredential"],
            checks=incoming.validated_data["options"].get("checks"),
        )
        return Response(result.as_dict(), status=200 if result.verified else 400)


class VerifyPresentationView(APIView):
    """Verifies a presentation and burns its challenge: a replay is refused."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=s.VerifyPresentationRequestSerializer,
        responses={
            200: s.VerificationResultSerializer,
            400: VERIFY_REFUSED,
            409: s.VerificationResultSerializer,
        },
    )
    def post(self, request):
        incoming = s.VerifyPresentationRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        options = incoming.validated_data["options"]
        try:
            result = services.presentation_verify_once(
                presentation=incoming.validated_data["verifiablePresentation"],
                challenge=options.get("challenge"),
                domain=options.get("domain"),
            )
        except ValidationError as exc:
            return Response(
                {
                    "verified": False,
                    "checks": ["challenge"],
                    "errors": [{"check": "challenge", "message": m} for m in exc.messages],
                    "warnings": [],
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(result.as_dict(), status=200 if result.verified else 400)
