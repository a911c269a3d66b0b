"""PGD throughput (kept for ``make bench``): runs :mod:`attack_speed`, which times every
attack path of the library side by side with the hand-written floors and ART.

    .venv/bin/python benchmarks/pgd_throughput.py [--quick] [--sections pgd] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attack_speed import main  # noqa: E402

if __name__ == "__main__":
    main()
