"""`/api/v1/vouchers/`: DRF views of the app."""

urlpatterns: list = []
