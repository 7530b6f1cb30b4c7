"""Build hook: copy ontology/ and shapes/ into the wheel as kg/resources/ package data.

In a source checkout (and an editable install) the code reads them from the repository root;
an installed wheel reads the copies (see kg.defaultgraph.project_root).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).parent
        target = Path(self.build_lib) / "kg" / "resources"
        for folder in ("ontology", "shapes"):
            if (root / folder).is_dir():
                shutil.copytree(root / folder, target / folder, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithResources})
