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

    # A page names ~10 (portal) to ~26 (admin) static files, and each `{% static %}` looked its
    # hashed name up in the manifest and quoted and joined the URL again (~23 µs each). The
    # manifest is read once when the process starts and never changes under it (a deploy runs
    # collectstatic, then starts new processes), so a name's URL is remembered for the
    # process. Names come from templates, not from requests; the bound is a guard.
    URLS_KEPT = 4096

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force or django_settings.DEBUG:  # DEBUG serves names unhashed: nothing to keep
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = super().url(name)
            if len(self._urls) < self.URLS_KEPT:
                self._urls[name] = url
            return url
