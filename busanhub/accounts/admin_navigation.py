"""The admin's app list and navigation sidebar, built once per set of permissions.

Django's admin builds the app list on every page (`each_context` → `get_app_list`): for each of
the ~30 registered models two to five permission checks, two `reverse()` and lazy names sorted
by their translation, then renders the sidebar's template over it, ~3 ms of a change list's
CPU. What it shows depends only on the user's permissions (the `has_*_permission(request)`
methods of this project's ModelAdmins read the permissions and nothing else about the request:
tests/test_admin_navigation.py holds every staff role to it), the language, the script prefix
and, for the sidebar, which of its links the current path contains.

So both are kept in this process's memory keyed by exactly those: the key holds the user's
permission set itself, so a granted or withdrawn permission (directly or through a group) is a
new key on the user's next request, with nothing to invalidate; two staff with the same
permissions share an entry, which holds nothing about either of them. An active superuser's
key is "superuser" (every check passes; `get_all_permissions` would read every permission).
At most LIMIT entries are kept: a full store is emptied. With DEBUG on the sidebar's HTML is
not kept (templates change under a running development server), as `{% shared %}` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.template import Context, Template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

LIMIT = 2000
AppList = list[dict[str, Any]]
_app_lists: dict[tuple, AppList] = {}
_sidebars: dict[tuple, SafeString] = {}


def navigation_clear() -> None:
    """Forget every kept app list and sidebar (tests that change the registered models)."""
    _app_lists.clear()
    _sidebars.clear()


def permissions_key(user: Any) -> tuple:
    """What the admin's permission checks of this user depend on."""
    if not user.is_active:
        return ("inactive",)
    if user.is_superuser:
        return ("superuser",)
    # Loaded once per request and kept on the user (ModelBackend's _perm_cache): the view's
    # own permission check has read it already.
    return ("permissions", frozenset(user.get_all_permissions()))


def _key(request: Any) -> tuple:
    return (permissions_key(request.user), get_language(), get_script_prefix())


def app_list(request: Any, build: Callable[[], AppList]) -> AppList:
    """The site's app list for this request's user (`build` makes it: Django's own code), its
    names translated into the active language. Shared between requests: read, never change."""
    key = _key(request)
    kept = _app_lists.get(key)
    if kept is None:
        kept = build()
        for app in kept:
            app["name"] = str(app["name"])
            for model in app["models"]:
                model["name"] = str(model["name"])
        if len(_app_lists) >= LIMIT:
            _app_lists.clear()
        _app_lists[key] = kept
    return kept


def _current(apps: AppList, path: str) -> tuple[str, ...]:
    """The sidebar's links that the path contains, as its template tests them
    (`{% if url in request.path|urlencode %}`): the only part of it that depends on the page."""
    quoted = quote(path, safe="/")
    urls = []
    for app in apps:
        if app["app_url"] in quoted:
            urls.append(app["app_url"])
        for model in app["models"]:
            if model["admin_url"] and model["admin_url"] in quoted:
                urls.append(model["admin_url"])
    return tuple(urls)


def sidebar(context: Context, template: Template) -> SafeString:
    """Django's `admin/nav_sidebar.html` (`template`) for this page, rendered once per app list
    and set of current links."""
    request = context.get("request")
    apps = context.get("available_apps")
    if settings.DEBUG or request is None or apps is None:
        return template.render(context)
    list_key = _key(request)
    # Only over the list app_list() keeps for this key: a view that built its own is rendered.
    kept = _app_lists.get(list_key)
    if kept is None or apps is not kept:
        return template.render(context)
    key = (list_key, _current(kept, request.path))
    text = _sidebars.get(key)
    if text is None:
        if len(_sidebars) >= LIMIT:
            _sidebars.clear()
        text = _sidebars[key] = template.render(context)
    return text
