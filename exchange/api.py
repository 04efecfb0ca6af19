"""`/api/v1/exchange/`: DRF views of the app."""

urlpatterns: list = []
