"""``python -m compression_robustness``: see :mod:`compression_robustness.cli`."""

from compression_robustness.cli import main

raise SystemExit(main())
