"""Translation markers usable from plain domain code.

``lazy_gettext`` evaluates when the string is rendered: inside a request it is translated into the
reader's language, outside one (unit tests, the command line) it stays the English source text.

``_l`` is text, never markup. flask_babel's ``LazyString.__html__`` returns the string as it is, so
Jinja took every ``_l("…%(value)s…", value=what_a_user_typed)`` for safe HTML (a user's markup in a
field error ran on the page). Here it is escaped like any other text when a template renders it;
``str()`` stays the plain message (JSON problems, logs, CSV).
"""

from typing import Any

from flask_babel import gettext as _  # noqa: F401
from flask_babel.speaklater import LazyString
from markupsafe import escape


class LazyText(LazyString):
    def __html__(self) -> str:
        return str(escape(str(self)))


def _l(string: str, **variables: Any) -> LazyText:
    return LazyText(_, string, **variables)
