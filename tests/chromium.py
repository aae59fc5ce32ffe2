"""Debian's chromium driven by Playwright, shared by the browser tests.

Importing this skips the importing test module when Playwright is missing; its
``needs_chromium`` mark skips it, saying so, where no chromium is installed. The
``browser`` fixture that launches it lives in conftest.py.
"""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed: pip install -e '.[test]'"
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on this machine: apt-get install chromium (as .ci/run does)",
)
