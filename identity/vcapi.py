"""W3C VC API doors: /vc-api/credentials/issue, /credentials/verify, /presentations/verify,
/challenges; and B Pass's extension /vc-api/credentials/issue-batch."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from identity import relatedresource, services, verification
from identity import serializers as s

VERIFY_CREDENTIAL_DESCRIPTION = (
    "Verifies a credential. Without `options.checks` it runs the verification checks: "
    "malformed, proof, issuer (the proof was made with the issuer's key), validity "
    "(validFrom/validUntil), status (Bitstring Status List) and related-resource (digests of "
    "relatedResource entries B Pass holds offline; others are reported unchecked in "
    "`warnings`). Trust policy runs only when named in `options.checks`: issuer-trusted (B Pass "
    "knows the issuer). 200 when verified, 400 otherwise; every check run is in `checks`, "
    "every failure in `errors` with its check's name."
)
VERIFY_PRESENTATION_DESCRIPTION = (
    "Verifies a presentation. Always: malformed, proof (purpose authentication), challenge and "
    "domain (`options.challenge`/`options.domain` must match the proof's), holder (the proof "
    "is the holder's key). Each embedded credential gets the checks named in `options.checks`, "
    "by default the verification checks proof, issuer, validity, status, related-resource. "
    "Trust policy runs only when named: issuer-trusted (B Pass knows each issuer) and "
    "holder-is-subject (the presentation's signer is every credential's subject); the portal's "
    "own presentation requests ask for both. A challenge from POST /vc-api/challenges is used "
    "up by a verified presentation (a replay answers 409) and expires (400); any other "
    "challenge is only matched against the proof and not stored."
)

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


def _related_resource_problems(credential: dict, prefix: str) -> list[tuple[str, str]]:
    related = credential.get("relatedResource")
    problems = [] if related is None else relatedresource.errors(related)
    return [(f"{prefix}credential.{field}", message) for field, message in problems]


def _refused(problems: list[tuple[str, str]]) -> Response:
    """400 naming each malformed field, as the single issue answers it."""
    errors = [f"{field}: {message}" for field, message in problems]
    body: dict = {"detail": "; ".join(errors), "errors": errors}
    for field, message in problems:
        body.setdefault(field, []).append(message)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _unprocessable(exc: ValidationError) -> Response:
    errors = _errors_as_list(exc)
    return Response(
        {"detail": "; ".join(errors), "errors": errors},
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


class IssueCredentialView(APIView):
    permission_classes = [IsIdentityIssuer]

    @extend_schema(request=s.IssueRequestSerializer, responses={201: dict, 422: ISSUE_REFUSED})
    def post(self, request):
        incoming = s.IssueRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        options = incoming.validated_data["options"]
        problems = _related_resource_problems(incoming.validated_data["credential"], "")
        if problems:
            return _refused(problems)
        try:
            credential = services.credential_issue_document(
                issuer=services.city_issuer(),
                credential=incoming.validated_data["credential"],
                cryptosuite=options.get("cryptosuite", "eddsa-rdfc-2022"),
                with_status="credentialStatus" in options,
            )
        except ValidationError as exc:
            return _unprocessable(exc)
        return Response({"verifiableCredential": credential.document}, status=201)


class IssueCredentialBatchView(APIView):
    """B Pass extension: many credentials in one request and one database transaction."""

    permission_classes = [IsIdentityIssuer]

    @extend_schema(
        request=s.IssueBatchRequestSerializer,
        responses={201: dict, 422: ISSUE_REFUSED},
        description=(
            "B Pass extension of the VC-API (not in the VC-API specification): "
            '`{"credentials": [<issue body>, ...]}`, each item exactly the body of POST '
            "/vc-api/credentials/issue (at most 1,000). All or nothing: the credentials are "
            "signed and stored in one transaction, and one refused item refuses the batch "
            "(its errors name `credentials[<n>]`). 201 "
            '`{"verifiableCredentials": [...]}` in the order of the request.'
        ),
    )
    def post(self, request):
        incoming = s.IssueBatchRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        items = incoming.validated_data["credentials"]
        problems = [
            problem
            for position, item in enumerate(items)
            for problem in _related_resource_problems(
                item["credential"], f"credentials[{position}]."
            )
        ]
        if problems:
            return _refused(problems)
        try:
            credentials = services.credential_issue_documents(
                issuer=services.city_issuer(),
                requests=[
                    {
                        "credential": item["credential"],
                        "cryptosuite": item["options"].get("cryptosuite", "eddsa-rdfc-2022"),
                        "with_status": "credentialStatus" in item["options"],
                    }
                    for item in items
                ],
            )
        except ValidationError as exc:
            return _unprocessable(exc)
        return Response(
            {"verifiableCredentials": [credential.document for credential in credentials]},
            status=201,
        )


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
        description=VERIFY_CREDENTIAL_DESCRIPTION,
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
    """Verifies a presentation; a challenge B Pass issued is used up, any other only matched."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=s.VerifyPresentationRequestSerializer,
        responses={
            200: s.VerificationResultSerializer,
            400: VERIFY_REFUSED,
            409: s.VerificationResultSerializer,
        },
        description=VERIFY_PRESENTATION_DESCRIPTION,
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
                checks=options.get("checks"),
            )
        except ValidationError as exc:
            codes = {e.code for errors in exc.error_dict.values() for e in errors}
            return Response(
                {
                    "verified": False,
                    "checks": ["challenge"],
                    "errors": [{"check": "challenge", "message": m} for m in exc.messages],
                    "warnings": [],
                },
                status=status.HTTP_409_CONFLICT
                if "challenge_used" in codes
                else status.HTTP_400_BAD_REQUEST,
            )
        return Response(result.as_dict(), status=200 if result.verified else 400)


class ChallengesView(APIView):
    """VC-API POST /challenges: a challenge B Pass will accept once, for ten minutes."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=None,
        responses={201: s.ChallengeSerializer},
        description=(
            "A fresh challenge for a verifier to put in its presentation request. "
            "/vc-api/presentations/verify accepts it once (a verified presentation uses it up) "
            "and for ten minutes."
        ),
    )
    def post(self, request):
        challenge = services.challenge_issue()
        return Response(s.ChallengeSerializer(challenge).data, status=status.HTTP_201_CREATED)
