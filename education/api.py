"""`/api/v1/education/`: DRF views of the app."""

urlpatterns: list = []
