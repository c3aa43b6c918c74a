"""python -m tests.vectorgen [OUT_DIR]: regenerate the conformance vectors."""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.vectorgen.generate import VECTOR_DIR, write_all


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the rootstate conformance vectors.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=VECTOR_DIR)
    args = parser.parse_args()
    written = write_all(args.out_dir)
    print(f"wrote {len(written):,} files to {args.out_dir}")


if __name__ == "__main__":
    main()
