from django.urls import path

from busanhub.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.dashboard, name="dashboard"),
    path("me/profile/", views.profile, name="profile"),
    path("me/api-token/", views.api_token, name="api-token"),
    path("privacy/", views.privacy, name="privacy"),
    path("terms/", views.terms, name="terms"),
    path(
        "accounts/resend-confirmation/",
        views.resend_confirmation,
        name="resend-confirmation",
    ),
]
