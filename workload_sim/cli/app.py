"""The app command: the team leader's page in a browser (Streamlit), on this machine only
unless --host says otherwise."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import typer

from .common import _fail
from .run import app

PAGE = Path(__file__).resolve().parent.parent / "app" / "page.py"


@app.command(name="app")
def app_command(
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to serve the page on"),
    host: str = typer.Option(
        "localhost",
        "--host",
        help="Address to listen on (default localhost: this machine only; 0.0.0.0 for a "
        "server behind the council's sign-in, see docs/deploy.md)",
    ),
) -> None:
    """Start the team leader's page in a browser: change the team, see whether the list grows."""
    if importlib.util.find_spec("streamlit") is None:
        _fail(['the app needs Streamlit: pip install -e ".[app]" (streamlit>=1.40,<2)'])
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PAGE),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",  # no "Deploy" button: a team leader has nothing to deploy
    ]
    try:
        code = subprocess.call(command)
    except KeyboardInterrupt:  # Ctrl-C stops the server; no traceback
        code = 0
    raise typer.Exit(code)
