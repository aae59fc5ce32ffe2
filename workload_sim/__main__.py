"""``python -m workload_sim COMMAND``: the same command line as ``workload-sim``."""

from .cli import main

main()
