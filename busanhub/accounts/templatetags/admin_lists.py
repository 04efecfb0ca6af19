"""`{% fast_result_list cl %}`: Django's `{% result_list %}` with the rows of
busanhub/admin_lists.py (same template, same HTML, the per-row work done once per column)."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from busanhub import admin_lists

register = template.Library()


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser: template.base.Parser, token: template.base.Token) -> template.Node:
    # The stubs give InclusionAdminNode another signature than Django's (parser, token, ...).
    return InclusionAdminNode(  # type: ignore[call-arg]
        parser,  # type: ignore[arg-type]
        token,  # type: ignore[arg-type]
        func=admin_lists.result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
