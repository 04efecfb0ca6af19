"""The change list's filters, search form, date hierarchy and pagination written out in Python,
its actions form's fields kept (busanhub/admin_page.py); templates/admin/change_list.html and
actions.html call these in place of Django's."""

from typing import Any

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.safestring import SafeString

from busanhub import admin_page

register = template.Library()


def _engine(context: template.Context) -> template.Engine:
    return (
        context.template.engine if context.template is not None else template.Engine.get_default()
    )


@register.simple_tag(takes_context=True)
def fast_admin_list_filter(context: template.Context, cl: Any, spec: Any) -> SafeString:
    """Django's `{% admin_list_filter cl spec %}`, in Python when the filter's template is
    Django's own admin/filter.html."""
    if admin_page.FAST and spec.template == "admin/filter.html":
        engine = _engine(context)
        if admin_page.is_djangos(engine.get_template(spec.template), "filter.html"):
            return admin_page.filter_html(cl, spec)
    return admin_list.admin_list_filter(cl, spec)


class FastInclusionAdminNode(InclusionAdminNode):
    """Django's inclusion tag (the same function, the same per-app and per-model template
    search); the selected template, when it is Django's own, written out in Python."""

    def render(self, context: template.Context) -> SafeString:
        fast = admin_page.FAST_TEMPLATES[self.template_name]
        if not admin_page.FAST:
            return super().render(context)
        opts = context["opts"]
        app_label = opts.app_label.lower()
        selected = _engine(context).select_template(
            [
                f"admin/{app_label}/{opts.model_name}/{self.template_name}",
                f"admin/{app_label}/{self.template_name}",
                f"admin/{self.template_name}",
            ]
        )
        if not admin_page.is_djangos(selected, self.template_name):
            return super().render(context)
        resolved_args, resolved_kwargs = self.get_resolved_arguments(context)
        return fast(self.func(*resolved_args, **resolved_kwargs))


def _tag(function: Any, template_name: str) -> Any:
    def tag(parser: template.base.Parser, token: template.base.Token) -> FastInclusionAdminNode:
        # The stubs give InclusionAdminNode another signature than Django's (parser, token, ...).
        return FastInclusionAdminNode(  # type: ignore[call-arg]
            parser,  # type: ignore[arg-type]
            token,  # type: ignore[arg-type]
            func=function,
            template_name=template_name,
            takes_context=False,
        )

    return tag


register.tag("fast_search_form", _tag(admin_list.search_form, "search_form.html"))
register.tag("fast_pagination", _tag(admin_list.pagination, "pagination.html"))
register.tag("fast_date_hierarchy", _tag(admin_list.date_hierarchy, "date_hierarchy.html"))


@register.simple_tag(takes_context=True)
def action_form_fields(context: template.Context, form: Any) -> SafeString:
    """Django's loop over the actions form's fields (admin/actions.html), kept per form."""
    return admin_page.action_form_fields(form, _engine(context))
