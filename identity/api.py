"""`/api/v1/identity/`: DRF views of the app."""

urlpatterns: list = []
