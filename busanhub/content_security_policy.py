"""django-csp's middleware, with the settings' policy built once per process.

django-csp builds the `Content-Security-Policy` header again for every response (two
dataclass deep copies, then every directive of the settings copied, sorted and joined), ~0.2 ms
of CPU a request, although it is the same text on every response that neither a view nor a
template changed. A response that carries its own policy (`@csp_update`, `@csp_replace`,
`@csp` on the API docs), one whose request used `request.csp_nonce`, or an error page under
DEBUG, goes through django-csp's own code unchanged; every other response gets the policy
built from the settings once (again after a test changes them).
"""

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

# Attributes a view's decorator puts on its response to change the policy (django-csp 4).
_RESPONSE_POLICY_ATTRIBUTES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "DEBUG")

# (policy, its excluded path prefixes), (report-only policy, its prefixes): built on first use.
_built: list[tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]] = []


def _settings_policies() -> tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]:
    if not _built:
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
        _built.append(
            (
                (build_policy(), tuple(enforced.get("EXCLUDE_URL_PREFIXES", None) or ())),
                (
                    build_policy(report_only=True),
                    tuple(report_only.get("EXCLUDE_URL_PREFIXES", None) or ()),
                ),
            )
        )
    return _built[0]


def _forget(*, setting, **kwargs) -> None:
    if setting in _SETTINGS:
        _built.clear()


setting_changed.connect(_forget)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _RESPONSE_POLICY_ATTRIBUTES
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (500, 404):
            return response  # django-csp leaves Django's debug pages alone
        (policy, excluded), (policy_ro, excluded_ro) = _settings_policies()
        path = request.path_info
        if (
            policy
            and HEADER not in response
            and getattr(response, "_csp_exempt", False) is False
            and not path.startswith(excluded)
        ):
            response[HEADER] = policy
        if (
            policy_ro
            and HEADER_REPORT_ONLY not in response
            and getattr(response, "_csp_exempt_ro", False) is False
            and not path.startswith(excluded_ro)
        ):
            response[HEADER_REPORT_ONLY] = policy_ro
        # As django-csp: a nonce asked for after the header is written raises, not passes.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
