"""The application for a server without gunicorn's hooks (granian), with what
busanhub/gunicorn_conf.py does in gunicorn's master done at import in each worker instead:
URL resolvers and catalogues built, the loaded objects frozen out of the collector, the
collector's thresholds raised. bench/server_cpu.py's `granian-frozen` candidate; the app is
`SERVER_CPU_APP` ("trivial" or the portal)."""

import gc
import os

if os.environ.get("SERVER_CPU_APP") == "trivial":
    from bench.server_trivial import application
else:
    from busanhub.wsgi import application

from busanhub import gunicorn_conf

gunicorn_conf._application_warm()
gc.freeze()
gc.set_threshold(*gunicorn_conf.gc_threshold())

__all__ = ["application"]
