"""Self-contained widgets: each carries its DEFAULT_CSS and its own Messages."""
