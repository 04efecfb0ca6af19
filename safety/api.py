"""`/api/v1/safety/`: DRF views of the app."""

urlpatterns: list = []
