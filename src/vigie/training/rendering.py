"""Module text in Markdown to HTML: CommonMark with raw HTML off, so nothing a module's author
writes reaches the page as markup, and unsafe links (javascript:, data:, vbscript:) are not
made into links (markdown-it's link validation)."""

from __future__ import annotations

from django.utils.safestring import SafeString
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False})


def render_markdown(text: str) -> SafeString:
    # markdown-it escapes every character of the source it does not turn into markup itself.
    return SafeString(_md.render(text))
