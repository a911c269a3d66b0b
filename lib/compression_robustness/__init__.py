"""compression_robustness: how model compression changes adversarial robustness.

A thin library around IBM ART for the study's Jupyter Book. One module per concept:
:mod:`.data`, :mod:`.models`, :mod:`.zoo`, :mod:`.train`, :mod:`.checkpoints`,
:mod:`.estimator`, :mod:`.attacks`, :mod:`.metrics`, :mod:`.results`, :mod:`.plots`,
:mod:`.experiments` (the chapters' cell loops) and :mod:`.config` (profiles, validation).
"""

import warnings

from compression_robustness.core.registry import ConfigError, UnknownNameError  # noqa: F401

__version__ = "0.1.0"

# ART imports tqdm.auto, which warns inside notebooks without ipywidgets; the plain text
# progress bars it falls back to are what we want.
warnings.filterwarnings("ignore", message="IProgress not found")
