"""`/api/v1/logistics/`: DRF views of the app."""

urlpatterns: list = []
