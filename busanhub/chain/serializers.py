from rest_framework import serializers

from busanhub.chain.models import AnchorBatch


class BatchSerializer(serializers.ModelSerializer):
    chain_id = serializers.IntegerField(source="deployment.chain_id", default=None, allow_null=True)
    contract = serializers.CharField(source="deployment.address", default=None, allow_null=True)

    class Meta:
        model = AnchorBatch
        fields = [
            "id",
            "status",
            "root",
            "leaf_count",
            "chain_id",
            "contract",
            "tx_hash",
            "block_number",
            "block_hash",
            "block_timestamp",
            "gas_used",
            "created_at",
            "confirmed_at",
        ]
        read_only_fields = fields


class ReceiptSerializer(serializers.Serializer):
    """Documents the receipt's shape for OpenAPI; the receipt dict is returned as built."""

    type = serializers.CharField()
    version = serializers.IntegerField()
    record = serializers.DictField()
    envelope = serializers.DictField(required=False)
    digest = serializers.CharField()
    leaf = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField())
    # The metaclass moves declared fields out of the class, so BaseSerializer.root is intact.
    root = serializers.CharField()  # type: ignore[assignment]
    anchor = serializers.DictField()
