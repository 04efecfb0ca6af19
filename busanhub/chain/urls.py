from django.urls import path

from busanhub.chain import views

app_name = "chain"

urlpatterns = [
    path("verify/", views.verify_index, name="verify"),
    path("verify/status/<str:digest>", views.anchor_status, name="anchor-status"),
    path("verify/<str:digest>", views.verify_digest, name="verify-digest"),
    path("verify/<str:digest>/receipt.json", views.receipt_download, name="receipt-download"),
]
