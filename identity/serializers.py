from rest_framework import serializers

from identity import dataintegrity, verification


class IssueOptionsSerializer(serializers.Serializer):
    cryptosuite = serializers.ChoiceField(
        choices=dataintegrity.CRYPTOSUITES, required=False, default="eddsa-rdfc-2022"
    )
    credentialStatus = serializers.DictField(required=False)  # noqa: N815 (VC-API name)

    def validate_credentialStatus(self, value):  # noqa: N802
        if value.get("type") != "BitstringStatusListEntry":
            raise serializers.ValidationError("only BitstringStatusListEntry is supported")
        return value


class IssueRequestSerializer(serializers.Serializer):
    credential = serializers.JSONField()
    options = IssueOptionsSerializer(required=False, default=dict)

    def validate_credential(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("the credential is a JSON object")
        return value


class IssueBatchRequestSerializer(serializers.Serializer):
    """B Pass extension of the VC-API: many standard issue bodies in one request."""

    credentials = serializers.ListField(
        child=IssueRequestSerializer(),
        min_length=1,
        max_length=1000,
        help_text="Each item is the body of POST /vc-api/credentials/issue.",
    )


class VerifyOptionsSerializer(serializers.Serializer):
    checks = serializers.ListField(
        child=serializers.ChoiceField(choices=verification.CREDENTIAL_CHECK_NAMES),
        required=False,
        help_text=(
            "The checks to run. Default: the verification checks "
            f"{', '.join(verification.CREDENTIAL_CHECKS)} (malformed always runs). "
            "Trust policy runs only when named: issuer-trusted (B Pass knows the issuer)."
        ),
    )
    challenge = serializers.CharField(required=False, max_length=200)
    domain = serializers.CharField(required=False, max_length=200)


class VerifyPresentationOptionsSerializer(VerifyOptionsSerializer):
    checks = serializers.ListField(
        child=serializers.ChoiceField(choices=verification.PRESENTATION_CHECK_NAMES),
        required=False,
        help_text=(
            "The presentation's own checks (malformed, proof, challenge, domain, holder: the "
            "proof is the holder's) always run. `checks` names the checks of each embedded "
            f"credential; default {', '.join(verification.CREDENTIAL_CHECKS)}. Trust policy "
            "runs only when named: issuer-trusted (B Pass knows each credential's issuer) and "
            "holder-is-subject (the presentation's signer is the subject of every credential)."
        ),
    )
    challenge = serializers.CharField(
        required=False,
        max_length=200,
        help_text=(
            "A challenge from POST /vc-api/challenges (or a B Pass presentation request) is "
            "single-use and expires; any other challenge is only matched against the proof."
        ),
    )


class VerifyCredentialRequestSerializer(serializers.Serializer):
    verifiableCredential = serializers.JSONField()  # noqa: N815
    options = VerifyOptionsSerializer(required=False, default=dict)

    def validate_verifiableCredential(self, value):  # noqa: N802
        if not isinstance(value, dict):
            raise serializers.ValidationError("the credential is a JSON object")
        return value


class VerifyPresentationRequestSerializer(serializers.Serializer):
    verifiablePresentation = serializers.JSONField()  # noqa: N815
    options = VerifyPresentationOptionsSerializer(required=False, default=dict)

    def validate_verifiablePresentation(self, value):  # noqa: N802
        if not isinstance(value, dict):
            raise serializers.ValidationError("the presentation is a JSON object")
        return value


class VerificationResultSerializer(serializers.Serializer):
    verified = serializers.BooleanField()
    checks = serializers.ListField(child=serializers.CharField())
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())


class ChallengeSerializer(serializers.Serializer):
    challenge = serializers.CharField()


class CredentialSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    type = serializers.CharField(source="credential_type")
    issuer = serializers.CharField(source="issuer.did")
    status = serializers.CharField()
    validFrom = serializers.DateTimeField(source="valid_from")  # noqa: N815
    validUntil = serializers.DateTimeField(source="valid_until", allow_null=True)  # noqa: N815
    verifiableCredential = serializers.JSONField(source="document")  # noqa: N815
