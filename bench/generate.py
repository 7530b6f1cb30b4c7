"""Write a synthetic ecosystem (``harness.generate``) to a file:

    python -m bench.generate 10000 out.nq    # 10,000 datasets; prints the file's path
"""

from __future__ import annotations

import sys

from harness.generate import generate


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 1000
    print(generate(count, path=argv[1] if len(argv) > 1 else None))


if __name__ == "__main__":
    main(sys.argv[1:])
