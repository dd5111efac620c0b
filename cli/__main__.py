"""`python -m cli`: the `idgraph` command without the console script."""

import sys

from .main import main

sys.exit(main())
