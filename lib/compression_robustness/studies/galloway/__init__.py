"""galloway."""
