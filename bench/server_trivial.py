"""A WSGI application that does nothing but answer 5 KB: what bench/server_cpu.py serves to
measure an HTTP server's own CPU per request, with no Django in the request's path.

Django is set up all the same (not used by a request): the Procfile's gunicorn configuration
builds the URL resolvers in the master before it forks, and a worker's heap then holds what a
portal worker's does (what the collector would walk)."""

import django

django.setup()

BODY = b"<!doctype html><title>trivial</title>" + b"x" * (5 * 1024 - 37)
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
