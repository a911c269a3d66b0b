"""breakingbed."""
