"""cheng."""
