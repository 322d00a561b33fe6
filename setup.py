"""The build compiles every area's translations (``messages.po`` → ``messages.mo``) into the package, so
that a wheel (``pip install .``) serves Chinese without a separate ``make translations`` step. The rest of
the packaging is in ``pyproject.toml``."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithTranslations(build_py):
    def run(self) -> None:
        super().run()
        for po in Path(".").glob("*/translations/*/LC_MESSAGES/messages.po"):
            target = Path(self.build_lib) / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[2])
            with target.open("wb") as out:
                write_mo(out, catalog)


setup(cmdclass={"build_py": BuildWithTranslations})
