"""`python benchmarks/synth --size S --url sqlite:///…`: build a synthetic desk (the package's
docstring says what is in it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, so synth imports

from synth import main  # noqa: E402

sys.exit(main())
