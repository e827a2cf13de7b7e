"""The second assignment's catalogue of known mistakes: ``MISTAKES`` (see solutions/checking.py)."""

from __future__ import annotations

from solutions.backprop_one_hidden_layer import reference
from solutions.checking import Mistake, catalogue

MISTAKES: tuple[Mistake, ...] = catalogue([], reference)
