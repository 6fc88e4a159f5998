"""Where the folders shipped with the code are: `migrations/` and `references/`.

In a checkout (and an editable install) they are at the top of the repository; a wheel
carries them inside this package (setup.py maps them to `tracker/migrations/` and
`tracker/references/`), so an install from it finds them without the source tree.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SOURCE_TREE = PACKAGE.parent


def folder(name: str) -> Path:
    """The shipped folder `name`: the installed package's copy, else the source tree's."""
    installed = PACKAGE / name
    return installed if installed.is_dir() else SOURCE_TREE / name
