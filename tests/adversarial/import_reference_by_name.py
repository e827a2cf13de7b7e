"""Imports the reference package by name and re-exports its functions."""
# control: cheats unsandboxed
# ruff: noqa
from solutions import *  # noqa: F403
