"""Descriptions as providers write them (plain text with paragraphs, or Markdown) → safe HTML.

Markdown is parsed with markdown-it-py with raw HTML switched off, and its output goes through nh3
(the Rust ammonia sanitiser) with a short list of tags: whatever a provider writes, no markup of
its own, no script, no style, no image and no ``javascript:`` link reaches a page. Headings are
moved down two levels so that the product name stays the page's only ``h1``/``h2``.
"""

from __future__ import annotations

import functools
import html
import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True})
_md.enable("table").enable("strikethrough")


def _heading(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    token = tokens[idx]
    token.tag = f"h{min(6, int(token.tag[1]) + 2)}"
    return self.renderToken(tokens, idx, options, env)


_md.add_render_rule("heading_open", _heading)
_md.add_render_rule("heading_close", _heading)


@functools.lru_cache(maxsize=2048)
def render_description(source: str) -> str:
    """Safe HTML for a description (a string ready to be marked safe in a template)."""
    html = _md.render(source or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
    )


_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)
def plain_summary(source: str, length: int = 80) -> str:
    """The description as one line of plain text, shortened, for cards and lists (escaped by the
    template like any text)."""
    text = nh3.clean(render_description(source), tags=set())
    text = _SPACE.sub(" ", html.unescape(text)).strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def line_diff(before: str, after: str) -> list[tuple[str, str]]:
    """A description's change line by line, for reviewers: (``same``|``removed``|``added``, line)."""
    import difflib

    old, new = (before or "").splitlines(), (after or "").splitlines()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(("same", line) for line in old[i1:i2])
            continue
        out.extend(("removed", line) for line in old[i1:i2])
        out.extend(("added", line) for line in new[j1:j2])
    return out


def snippet(source: str, terms: tuple[str, ...] = (), length: int = 80) -> str:
    """The plain summary, or, when a search term first occurs beyond it, the words around it."""
    text = plain_summary(source, 100_000)
    folded = text.casefold()
    hits = [i for i in (folded.find(t) for t in terms) if i >= 0]
    first = min(hits, default=-1)
    if first < 0 or first + 10 < length:
        return text if len(text) <= length else text[: length - 1].rstrip() + "…"
    start = max(0, first - 20)
    piece = text[start : start + length - 2]
    return "…" + piece + ("…" if start + length - 2 < len(text) else "")


def highlight(text: str, terms: tuple[str, ...]) -> str:
    """``text`` escaped for HTML, each occurrence of a search term wrapped in ``<mark>`` (a string
    ready to be marked safe: everything from the text itself is escaped)."""
    escaped_parts: list[str] = []
    folded = text.casefold()
    if not terms or len(folded) != len(text):  # case folding changed lengths: do not risk misplaced marks
        return html.escape(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while term and start >= 0:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    position = 0
    for start, end in merged:
        escaped_parts.append(html.escape(text[position:start]))
        escaped_parts.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        position = end
    escaped_parts.append(html.escape(text[position:]))
    return "".join(escaped_parts)
