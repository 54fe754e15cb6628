#!/usr/bin/env python
"""Model -> generation (lmms-eval) -> attention probe -> judge -> report. Same as `videor2 diagnose`."""

import sys

from videor2.cli import main

if __name__ == "__main__":
    sys.exit(main(["diagnose", *sys.argv[1:]]))
