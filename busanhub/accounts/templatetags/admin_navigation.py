"""`{% nav_sidebar %}`: Django's admin navigation sidebar, rendered once per app list and current
link (busanhub/accounts/admin_navigation.py); templates/admin/nav_sidebar.html calls it."""

import functools
from pathlib import Path

import django.contrib.admin
from django import template
from django.utils.safestring import SafeString

from busanhub.accounts import admin_navigation

register = template.Library()


@functools.cache
def _django_sidebar(engine: template.Engine) -> template.Template:
    # Django's own template, which templates/admin/nav_sidebar.html overrides to call this.
    path = Path(django.contrib.admin.__file__).parent / "templates" / "admin" / "nav_sidebar.html"
    return engine.from_string(path.read_text(encoding="utf-8"))


@register.simple_tag(takes_context=True)
def nav_sidebar(context: template.Context) -> SafeString:
    engine = (
        context.template.engine if context.template is not None else template.Engine.get_default()
    )
    return admin_navigation.sidebar(context, _django_sidebar(engine))
