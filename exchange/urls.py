from django.urls import path

from exchange import views

app_name = "exchange"

urlpatterns = [
    path("exchange/", views.home, name="home"),
    path("exchange/markets/<str:symbol>/", views.trade, name="trade"),
    path("exchange/orders/<uuid:public_id>/cancel/", views.order_cancel, name="order-cancel"),
    path("exchange/wallet/", views.wallet, name="wallet"),
    path("exchange/history/<slug:kind>.csv", views.history_csv, name="history-csv"),
    path("exchange/proof/", views.proof, name="proof"),
    path("exchange/proof/<uuid:public_id>/mine.json", views.proof_download, name="proof-download"),
]
