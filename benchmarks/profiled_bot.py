"""`python -m benchmarks.profiled_bot STATS_FILE`: the bot (`bot.__main__.main`) under cProfile.

SIGINT ends `run_polling` normally, and the stats are written to STATS_FILE on the way out
(`benchmarks/busy_hour.py --profile cprofile` reads them with pstats).
"""

from __future__ import annotations

import cProfile
import sys

from bot.__main__ import main


def run(stats_file: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        main()
    finally:
        profiler.disable()
        profiler.dump_stats(stats_file)


if __name__ == "__main__":
    stats_file = sys.argv[1]
    sys.argv[1:] = []  # the bot's own command line: no command, run the bot
    run(stats_file)
