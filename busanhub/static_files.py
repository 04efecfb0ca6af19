"""WhiteNoise for BusanHub: the middleware (STATIC_ROOT created before it is indexed) and the
production storage."""

from django.conf import settings as django_settings
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

from busanhub.local_folders import folders_create


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise lists STATIC_ROOT once, when it starts, and warns when the folder is missing
    (dev and tests before any collectstatic): the folder is created here, not in settings."""

    def __init__(self, get_response=None, settings=django_settings):
        if settings.STATIC_ROOT:
            folders_create([settings.STATIC_ROOT])
        super().__init__(get_response, settings=settings)


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Production's static files: hashed names and compressed copies (WhiteNoise), except that
    a JavaScript file's `//# sourceMappingURL=` is left as it is. The vendored builds name
    source maps that are not shipped (static/vendor/README.md lists what is), and Django's
    storage fails `collectstatic` on a reference it cannot resolve; CSS references are
    still rewritten and checked."""

    patterns = tuple(
        (extension, rules)
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
        if extension != "*.js"
    )
