"""``python -m ln1_runner`` is ``ln1-runner``."""

import sys

from ln1_runner.cli import main

sys.exit(main())
