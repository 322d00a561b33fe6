"""Translation markers usable from plain domain code.

``lazy_gettext`` evaluates when the string is rendered: inside a request it is translated into the
reader's language, outside one (unit tests, the command line) it stays the English source text.
"""
from flask_babel import gettext as _, lazy_gettext as _l, ngettext  # noqa: F401
