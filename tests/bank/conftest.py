"""Bank checks build throwaway Flask apps; collect what they leave behind before the next test runs."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _collect_flask_leftovers() -> Iterator[None]:
    """Werkzeug spools large request bodies to temporary files that nobody closes; collect them here.

    Otherwise their ResourceWarning fires whenever the garbage collector happens to run, which may be in
    an unrelated test later in the session, where `filterwarnings = error` turns it into a failure.
    """
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
