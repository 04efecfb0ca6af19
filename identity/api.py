"""`/api/v1/identity/`: DRF views of the app (the VC-API lives at /vc-api/, see vcapi.py)."""

from django.urls import path
from rest_framework import generics, pagination

from identity import selectors
from identity.serializers import CredentialSerializer


class NewestFirst(pagination.CursorPagination):
    ordering = "-issued_at"


class MyCredentialsView(generics.ListAPIView):
    """The signed-in holder's credentials, each with its signed document."""

    serializer_class = CredentialSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.credentials_for_holder(user=self.request.user)


urlpatterns: list = [
    path("credentials/", MyCredentialsView.as_view(), name="identity-my-credentials"),
]
