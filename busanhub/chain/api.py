"""`/api/v1/chain/`: receipts and batches, public like the chain itself."""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, pagination, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from busanhub.chain import canonical, selectors, services
from busanhub.chain.models import AnchorBatch
from busanhub.chain.serializers import BatchSerializer, ReceiptSerializer


def may_see_envelope(user) -> bool:
    """Staff who may view anchor leaves see every envelope; others only public ones."""
    return bool(user and user.is_authenticated and user.has_perm("chain.view_anchorleaf"))


def receipt_for_viewer(digest: str, user) -> dict | None:
    # The permission (two queries) is read only when it can change the answer: a receipt whose
    # envelope is not public. A pending record's page or a public receipt never reads it.
    receipt = services.receipt_for(digest)
    if receipt is not None and "envelope" not in receipt and may_see_envelope(user):
        receipt = services.receipt_for(digest, include_envelope=True)
    return receipt


class ReceiptView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={
            200: ReceiptSerializer,
            400: OpenApiResponse(description="digest is not 64 hex digits"),
            404: OpenApiResponse(description="not anchored yet (status says how far it is)"),
        }
    )
    def get(self, request, digest: str):
        try:
            digest = canonical.normalize_digest(digest)
        except ValueError as exc:
            return Response({"digest": [str(exc)]}, status=400)
        receipt = receipt_for_viewer(digest, request.user)
        if receipt is None:
            return Response(
                {"detail": "not anchored yet", "status": selectors.anchor_state(digest).status},
                status=404,
            )
        return Response(receipt)


class BatchPagination(pagination.CursorPagination):
    ordering = "-pk"
    page_size = 50


class BatchListView(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = BatchSerializer
    pagination_class = BatchPagination

    def get_queryset(self):
        queryset = AnchorBatch.objects.select_related("deployment").defer("tree", "raw_tx")
        status = self.request.query_params.get("status")
        if status in AnchorBatch.Status.values:
            queryset = queryset.filter(status=status)
        return queryset


urlpatterns = [
    path("receipts/<str:digest>", ReceiptView.as_view(), name="chain-receipt"),
    path("batches/", BatchListView.as_view(), name="chain-batches"),
]
