"""zhao."""
