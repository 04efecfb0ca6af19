"""WhiteNoise for BusanHub: the same middleware, with STATIC_ROOT created before it is indexed."""

from django.conf import settings as django_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from busanhub.local_folders import folders_create


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise lists STATIC_ROOT once, when it starts, and warns when the folder is missing
    (dev and tests before any collectstatic): the folder is created here, not in settings."""

    def __init__(self, get_response=None, settings=django_settings):
        if settings.STATIC_ROOT:
            folders_create([settings.STATIC_ROOT])
        super().__init__(get_response, settings=settings)
