"""`{% extends %}` as Django's, with the root template's blocks found once per compiled template.

Django's `ExtendsNode.render` walks the whole node tree of the root template (base.html: every
`{% if %}`, `{% for %}` and `{% shared %}` inside it) on every render to list its
`{% block %}`s, although a compiled template never changes: ~15 node lists and ~150 calls a
page, a few percent of a text-only page's CPU. Here that list is kept on the compiled parent
itself, so it lives exactly as long as the template object (the cached loader's, or a new one
after a template changed under a development server) and is never shared between two templates.

Everything else is Django's node: the same parsing and errors (`do_extends`), the same search
of the parent (`get_parent`, the extends history), the same block context; `BlockContext.
add_blocks` only reads the dictionary it is given, so one dictionary serves every render.
Registered as a builtin after Django's own (settings.TEMPLATES' "builtins"), so this `extends`
is the one every template uses.
"""

from typing import Any

from django import template
from django.template.base import Template, TextNode
from django.template.loader_tags import (
    BLOCK_CONTEXT_KEY,
    BlockContext,
    BlockNode,
    ExtendsNode,
    do_extends,
)

register = template.Library()

_ROOT_BLOCKS = "_busanhub_root_blocks"


def root_blocks(parent: Template) -> dict[str, Any] | None:
    """The blocks of `parent` if it is a root template (it extends nothing), else None."""
    try:
        return parent.__dict__[_ROOT_BLOCKS]
    except KeyError:
        pass
    blocks = None
    for node in parent.nodelist:
        # As Django's: the ExtendsNode has to be the first non-text node.
        if not isinstance(node, TextNode):
            if not isinstance(node, ExtendsNode):
                nodes: list[Any] = parent.nodelist.get_nodes_by_type(BlockNode)
                blocks = {n.name: n for n in nodes}
            break
    parent.__dict__[_ROOT_BLOCKS] = blocks
    return blocks


class CachedBlocksExtendsNode(ExtendsNode):
    def render(self, context):
        compiled_parent: Any = self.get_parent(context)

        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        blocks = root_blocks(compiled_parent)
        if blocks is not None:
            block_context.add_blocks(blocks)

        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)


@register.tag("extends")
def extends(parser: template.base.Parser, token: template.base.Token) -> ExtendsNode:
    node = do_extends(parser, token)
    return CachedBlocksExtendsNode(node.nodelist, node.parent_name, node.template_dirs)
