from django.urls import path

from . import views

app_name = "vouchers"

urlpatterns = [
    path("vouchers/", views.home, name="home"),
    path("vouchers/topup/", views.topup, name="topup"),
    path("vouchers/topups/", views.topups, name="topups"),
    path("vouchers/history.csv", views.history_csv, name="history-csv"),
    path("vouchers/bank-links/", views.bank_links, name="bank-links"),
    path("vouchers/bank-links/<uuid:public_id>/", views.bank_link, name="bank-link"),
    path(
        "vouchers/bank-links/<uuid:public_id>/resend/",
        views.bank_link_resend,
        name="bank-link-resend",
    ),
    path(
        "vouchers/bank-links/<uuid:public_id>/remove/",
        views.bank_link_remove,
        name="bank-link-remove",
    ),
    path("vouchers/gift/", views.gift, name="gift"),
    path("vouchers/pay/", views.pay, name="pay"),
    path("vouchers/pay/m/<str:code>/", views.pay_merchant, name="pay-merchant"),
    path("vouchers/pay/r/<uuid:public_id>/", views.pay_request, name="pay-request"),
    path("vouchers/receipts/<uuid:public_id>/", views.receipt, name="receipt"),
    path("vouchers/merchant/", views.merchant_home, name="merchant-home"),
    path("vouchers/merchant/apply/", views.merchant_apply, name="merchant-apply"),
    path("vouchers/merchant/<str:code>/", views.merchant_dashboard, name="merchant-dashboard"),
    path(
        "vouchers/merchant/<str:code>/request/",
        views.merchant_request,
        name="merchant-request",
    ),
    path(
        "vouchers/merchant/payments/<uuid:public_id>/refund/",
        views.merchant_refund,
        name="merchant-refund",
    ),
    path(
        "vouchers/settlements/<uuid:public_id>/report.<str:fmt>",
        views.settlement_report,
        name="settlement-report",
    ),
]
