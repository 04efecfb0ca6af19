"""`{% dashboard_panel item %}`: one service's panel on /me/, rendered inside the page.

A panel rendered on its own (`render_to_string(..., request=request)`) built a new request
context per panel: every context processor ran again for each of the six panels. Inside the
page's context they run once; the panel's own variables are pushed on top for its template and
popped after it, as `{% include %}` does.
"""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_panel(context: template.Context, item: dict) -> str:
    engine = context.template.engine if context.template else template.Engine.get_default()
    panel = engine.get_template(item["panel"].template_name)
    with context.push(item["context"]):
        return panel.render(context)
