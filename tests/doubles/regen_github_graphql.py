"""Refresh ``github_graphql_schema.graphql.gz`` from the npm package ``@octokit/graphql-schema``.

Usage (needs ``npm``)::

    python tests/doubles/regen_github_graphql.py                 # the pinned version
    python tests/doubles/regen_github_graphql.py --version 15.27.0
    python tests/doubles/regen_github_graphql.py --source path/to/schema.graphql

The file is GitHub's published schema unchanged, gzip-compressed; then run
``pytest tests/test_double_graphql.py tests/test_github_discussions.py``.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@octokit/graphql-schema"
VERSION = "15.26.1"
TARGET = Path(__file__).with_name("github_graphql_schema.graphql.gz")
MEMBER = "package/schema.graphql"


def fetch(version: str) -> bytes:
    """``schema.graphql`` from the package tarball that ``npm pack`` downloads."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{version}"], cwd=tmp, check=True, capture_output=True)
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(MEMBER)
            assert member is not None, f"{MEMBER} missing from {tarball.name}"
            return member.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=VERSION)
    parser.add_argument("--source", type=Path, help="a schema.graphql already on disk")
    args = parser.parse_args()
    text = args.source.read_bytes() if args.source else fetch(args.version)
    TARGET.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    print(f"wrote {TARGET} ({len(text):,} bytes uncompressed)")


if __name__ == "__main__":
    main()
