"""`make bench`: every benchmark in turn. Prints figures; asserts nothing about speed.

    python -m benchmarks              # all
    python -m benchmarks database     # one
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

ORDER = ["database", "auth", "registry", "telephony", "scoring", "loyalty", "notify"]


def main(argv: list[str]) -> int:
    chosen = argv or ORDER
    failed = []
    for name in chosen:
        if importlib.util.find_spec(f"benchmarks.{name}") is None:
            print(f"== {name}: no benchmark module", flush=True)
            continue
        print(f"\n== {name} " + "=" * 60, flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"])  # noqa: S603
        print(f"== {name}: {'done' if code == 0 else f'FAILED ({code})'} in "
              f"{time.perf_counter() - started:.0f}s", flush=True)
        if code:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
