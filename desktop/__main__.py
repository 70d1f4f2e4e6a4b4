"""`python -m desktop` is `hearth`."""

import sys

from desktop.cli import main

sys.exit(main())
