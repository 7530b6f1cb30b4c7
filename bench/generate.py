"""Write a synthetic ecosystem (``harness.generate``) to a file: N-Quads, one named graph per
description; or, for a ``.ttl`` target, the union as one Turtle file, as a portal exports
its catalog (``generate_turtle``).

    python -m bench.generate 10000 out.nq    # 10,000 datasets; prints the file's path
    python -m bench.generate 10000 out.ttl
"""

from __future__ import annotations

import sys

from harness.generate import generate, generate_turtle


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 1000
    out = argv[1] if len(argv) > 1 else None
    print((generate_turtle if out and out.endswith(".ttl") else generate)(count, path=out))


if __name__ == "__main__":
    main(sys.argv[1:])
