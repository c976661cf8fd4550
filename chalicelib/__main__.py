"""`python -m chalicelib`: the command line, which lives beside chalicelib (tooling/cli.py) so that
the Lambda package carries none of it. Run from a checkout: the tooling is not deployed."""

import sys

from tooling.cli import main

sys.exit(main())
