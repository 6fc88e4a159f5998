"""What goes into the wheel; everything else about the project is in pyproject.toml.

`migrations/` and `references/` stay at the top of the repository (the developers' `alembic`
command, alembic.ini and the tests use them there). A wheel carries them inside the tracker
package, as `tracker/migrations/` and `tracker/references/`, where `tracker.shipped` looks
first; the dashboard is the `dashboard` package (`tracker.serve` runs its app.py). A mapping
of package names to folders, computed here because pyproject.toml's package discovery cannot
combine finding `tracker.*` with renaming folders.
"""

from pathlib import Path

from setuptools import find_namespace_packages, find_packages, setup

HERE = Path(__file__).resolve().parent
#: tracker's subpackage → the top-level folder it is built from
SHIPPED = {"tracker.migrations": "migrations", "tracker.references": "references"}


def shipped_packages() -> dict[str, str]:
    """Each shipped folder and its subfolders (migrations/versions, references/examples) as a
    package name → folder."""
    found = {}
    for package, folder in SHIPPED.items():
        found[package] = folder
        for sub in find_namespace_packages(where=str(HERE / folder), exclude=["*__pycache__*"]):
            found[f"{package}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"
    return found


SHIPPED_PACKAGES = shipped_packages()

setup(
    packages=[*find_packages(include=["tracker", "tracker.*"]),
              # dashboard/views holds pages (scripts st.Page runs by path), not modules
              *find_namespace_packages(include=["dashboard", "dashboard.*"],
                                       exclude=["*__pycache__*"]),
              *SHIPPED_PACKAGES],
    package_dir=SHIPPED_PACKAGES,
    package_data={
        "tracker": ["py.typed"],
        "dashboard": ["*.js"],
        **{package: ["*"] for package in SHIPPED_PACKAGES},
    },
    exclude_package_data={package: ["*.pyc"] for package in SHIPPED_PACKAGES},
)
