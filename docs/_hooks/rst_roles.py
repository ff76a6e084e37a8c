"""mkdocs hook: render the Sphinx roles used in docstrings (``:class:`~a.b.C```) as code.

mkdocstrings shows them literally (``:class:<code>~a.b.C</code>``). A fully qualified target
becomes an optional cross-reference that autorefs resolves when the object is documented; a
leading ``~`` shows only the last component, as Sphinx does.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|exc|obj):<code>(~?)([^<]+)</code>")


def _replace(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    shown = target.rsplit(".", 1)[-1] if short else target
    code = f"<code>{shown}</code>"
    if target.startswith("asyncconsole."):
        return f'<autoref identifier="{target}" optional>{code}</autoref>'
    return code


def on_page_content(html: str, **_: Any) -> str:
    """Replace every role in the page's HTML."""
    return _ROLE.sub(_replace, html)
