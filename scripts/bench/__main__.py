import sys

from scripts.bench.runner import main

raise SystemExit(main(sys.argv[1:]))
