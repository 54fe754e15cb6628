"""Package layout only (metadata: pyproject.toml): each top-level folder installs as a sub-package of
`videor2`, with every package below it discovered, data folders (templates, prompts) included."""

from setuptools import find_namespace_packages, setup

ROOTS = {"videor2": "videor2", "videor2.tasks": "tasks", "videor2.models": "models",
         "videor2.diagnostics": "diagnostics", "videor2.reports": "reports", "videor2.scripts": "scripts"}
SKIP = ("*__pycache__*", "*.egg-info*")

packages = []
for name, folder in ROOTS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=SKIP)]

setup(packages=packages, package_dir=ROOTS)
