"""The zoo's entries, one data file per paper; importing the package registers them all."""

from compression_robustness.zoo.entries import (  # noqa: F401
    breakingbed,
    cheng,
    galloway,
    imagenet,
    zhao,
)
