"""Reference solutions for the activation-derivatives course module."""
