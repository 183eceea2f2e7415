"""``python -m minigrad``: the ``minigrad`` command line (``minigrad/tools/cli.py``).

``python -m minigrad train``, ``compare`` and ``draw`` are the same commands as the
``minigrad`` console script; without a command it runs ``train`` with its defaults.
"""

import sys

from minigrad.tools.cli import main

if __name__ == "__main__":
    sys.exit(main())
