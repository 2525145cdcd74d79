"""The wheel carries the page: copies of static/ and templates/ inside the package.

Everything else is in pyproject.toml. static/ and templates/ stay at the top of the source
tree, where the page is developed (and where an editable install serves them from); a built
wheel has them in app/web/, which app/paths.py looks in first.
"""

from __future__ import annotations

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

WEB_DIRS = ("static", "templates")  # every file in them: the vendored libs' licences too


class build_py_with_web(build_py):
    """``build_py`` that also copies WEB_DIRS into ``<build_lib>/app/web/``.

    Not in editable mode: an editable install serves the source tree's own files.
    """

    def _web_root(self) -> str:
        return os.path.join(self.build_lib, "app", "web")

    def _web_mapping(self) -> dict[str, str]:
        """(target in build_lib, source) for every file under WEB_DIRS."""
        if not os.path.isfile(os.path.join("templates", "index.html")):
            raise FileNotFoundError(
                "templates/index.html is missing: build from the project's root (an sdist "
                "needs MANIFEST.in's graft of static/ and templates/)"
            )
        mapping = {}
        for top in WEB_DIRS:
            for folder, dirs, files in os.walk(top):
                dirs.sort()
                for name in sorted(files):
                    source = os.path.join(folder, name)
                    mapping[os.path.join(self._web_root(), source)] = source
        return mapping

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        # A reused build/ directory may hold files since deleted from the source tree.
        shutil.rmtree(self._web_root(), ignore_errors=True)
        for target, source in self._web_mapping().items():
            self.mkpath(os.path.dirname(target))
            self.copy_file(source, target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:  # super() used get_output_mapping, which adds nothing then
            return outputs
        return [*outputs, *self._web_mapping()]

    def get_output_mapping(self) -> dict[str, str]:
        mapping = super().get_output_mapping()
        if not self.editable_mode:
            mapping.update(self._web_mapping())
        return mapping


setup(cmdclass={"build_py": build_py_with_web})
