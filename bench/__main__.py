"""`python -m bench`: run the benchmarks and write bench/RESULTS.md."""

from bench.run import main

raise SystemExit(main())
