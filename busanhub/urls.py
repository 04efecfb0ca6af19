from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from busanhub import health
from busanhub.chain import api as chain_api

api_v1 = [
    path("chain/", include(chain_api.urlpatterns)),
    path("identity/", include("identity.api")),
    path("safety/", include("safety.api")),
    path("logistics/", include("logistics.api")),
    path("vouchers/", include("vouchers.api")),
    path("exchange/", include("exchange.api")),
    path("education/", include("education.api")),
]

# Swagger UI and ReDoc set style attributes and inject <style> elements as they render, and
# ReDoc searches in a worker it starts from a blob: URL. Scripts stay 'self' only.
_docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        _docs_csp(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path("api/redoc/", _docs_csp(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("busanhub.accounts.urls")),
    path("", include("busanhub.chain.urls")),
    path("", include("identity.urls")),
    path("", include("safety.urls")),
    path("", include("logistics.urls")),
    path("", include("vouchers.urls")),
    path("", include("exchange.urls")),
    path("", include("education.urls")),
]

handler403 = "busanhub.accounts.views.error_403"
handler404 = "busanhub.accounts.views.error_404"
handler500 = "busanhub.accounts.views.error_500"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
