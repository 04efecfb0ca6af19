from rest_framework import serializers

from identity import dataintegrity


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


class VerifyOptionsSerializer(serializers.Serializer):
    checks = serializers.ListField(child=serializers.CharField(), required=False)
    challenge = serializers.CharField(required=False, max_length=200)
    domain = serializers.CharField(required=False, max_length=200)


class VerifyCredentialRequestSerializer(serializers.Serializer):
    verifiableCredential = serializers.JSONField()  # noqa: N815
    options = VerifyOptionsSerializer(required=False, default=dict)

    def validate_verifiableCredential(self, value):  # noqa: N802
        if not isinstance(value, dict):
            raise serializers.ValidationError("the credential is a JSON object")
        return value


class VerifyPresentationRequestSerializer(serializers.Serializer):
    verifiablePresentation = serializers.JSONField()  # noqa: N815
    options = VerifyOptionsSerializer(required=False, default=dict)

    def validate_verifiablePresentation(self, value):  # noqa: N802
        if not isinstance(value, dict):
            raise serializers.ValidationError("the presentation is a JSON object")
        return value


class VerificationResultSerializer(serializers.Serializer):
    verified = serializers.BooleanField()
    checks = serializers.ListField(child=serializers.CharField())
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())


class CredentialSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    type = serializers.CharField(source="credential_type")
    issuer = serializers.CharField(source="issuer.did")
    status = serializers.CharField()
    validFrom = serializers.DateTimeField(source="valid_from")  # noqa: N815
    validUntil = serializers.DateTimeField(source="valid_until", allow_null=True)  # noqa: N815
    verifiableCredential = serializers.JSONField(source="document")  # noqa: N815
