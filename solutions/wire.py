"""How calls and a learner's results cross the sandbox boundary: as named numeric arrays.

The clean room (autograder/cleanroom.py) ships every assignment's calls into a sandbox as one
``np.savez`` archive and reads results back the same way, always with ``allow_pickle=False``:
only numeric arrays and a JSON description cross, never a Python object. A value of any
assignment (a number, an array, a parameter dict, an activation's name, a tuple such as
``(A2, cache)``, a cost history of 10,000 numbers) becomes a JSON *spec* plus arrays named by
their path in the tree::

    to_arrays({"W1": w, "b1": b}, "arg1")
    -> ({"kind": "dict", "items": {"W1": {"kind": "array", "key": "arg1.W1"},
                                   "b1": {"kind": "array", "key": "arg1.b1"}}},
        {"arg1.W1": w, "arg1.b1": b})

Spec kinds:

- ``float``, ``int``, ``str``, ``bool``, ``none``: the value itself, in the JSON;
- ``array`` and ``npscalar``: a numeric (b, i, u, f) numpy array / numpy scalar, stored under
  ``key``;
- ``numbers``: a list or tuple (``type``) whose members are all numbers (Python or numpy
  scalars, nested lists of them for more dimensions, any length), stored as ONE array under
  ``key``; it comes back as a list (or tuple) of Python numbers, nested as it was;
- ``dict`` (string keys only), ``tuple``, ``list``: ``items``, the specs of their members;
- ``function``: one of :data:`SAFE_FUNCTIONS`, by ``name`` (a function handed to the learner's
  code, e.g. numerical_derivative's ``f``); a call names it with :class:`Safe`;
- ``other``: anything else a learner returned, by its type's name only (``type``); it comes back
  as a placeholder object that no check accepts as a number.

Array names are ``PREFIX.PATH`` (``arg1.W1``, ``value.1.Z1``,
``stand_in.backward_propagation.dW1``), so an archive reads on its own. ``from_arrays``
trusts nothing: an unknown kind, a missing key, a non-numeric or object array, or a tree deeper
than MAX_DEPTH raises ValueError (the clean room then reads no further frame: that call and the
later ones stay unanswered). ``to_arrays`` never writes such a spec: what it cannot write (a
tree nested deeper, too) becomes ``other`` where ``from_arrays`` still reads it. What an honest
answer can make larger is bounded in bytes only (the clean room's MAX_RESULT_BYTES), never by a
count of entries.

This module imports only the standard library and numpy, so the sandbox harness, which must not
import ``solutions``, carries an identical copy (the clean room copies this file beside it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_DEPTH = 6  # {"W1": ...} is depth 2; (parameters, [costs]) depth 3
_NAME = re.compile(r"\w{1,40}")
_SCALARS = (bool, int, float, np.bool_, np.integer, np.floating)


@dataclass(frozen=True)
class Safe:
    """A safe function, by name, as a call's argument (see :data:`SAFE_FUNCTIONS`)."""

    name: str


# The functions a call may hand to learner code (numerical_derivative's `f`), by name. They are
# the grader's own: the sandbox's copy of this module makes them there.
SAFE_FUNCTIONS = {
    "sin": np.sin,
    "cos": np.cos,
    "exp": np.exp,
    "tanh": np.tanh,
    "square": lambda z: z**2,
    "cube": lambda z: z**3,
}
# How a message shows them (what a learner would have typed).
SHOWN_AS = {
    "sin": "np.sin",
    "cos": "np.cos",
    "exp": "np.exp",
    "tanh": "np.tanh",
    "square": "lambda z: z**2",
    "cube": "lambda z: z**3",
}


def resolve(value):
    """`value` with every :class:`Safe` replaced by its function (for running a call here)."""
    if isinstance(value, Safe):
        return SAFE_FUNCTIONS[value.name]
    return value


def _packed(item) -> np.ndarray | None:
    """A list or tuple of numbers (nested lists of them too) as one array, or None."""
    stack = [item]
    while stack:
        node = stack.pop()
        if type(node) in (list, tuple):
            stack.extend(node)
        elif not isinstance(node, _SCALARS) or isinstance(node, np.ndarray):
            return None
    try:
        array = np.asarray(item)
    except (ValueError, TypeError, OverflowError):  # ragged, or an int numpy cannot hold
        return None
    if array.dtype.kind not in "biuf" or array.ndim == 0:
        return None
    return array


def to_arrays(value, prefix: str, *, strict: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    """``(spec, arrays)`` for a tree of plain values (see the module docstring).

    ``strict`` (for calls the grader builds): anything that is not a plain value raises
    TypeError. Not strict (for what learner code returned): it becomes ``{"kind": "other"}``.
    """
    arrays: dict[str, np.ndarray] = {}

    def spec(item, path: str, depth: int) -> dict:
        if depth > MAX_DEPTH:
            return _refuse(item, strict, "a tree nested more than MAX_DEPTH levels")
        if item is None:
            return {"kind": "none"}
        if type(item) is bool:
            return {"kind": "bool", "value": item}
        if type(item) is float or type(item) is int or type(item) is str:
            return {"kind": type(item).__name__, "value": item}
        if type(item) is Safe and item.name in SAFE_FUNCTIONS:
            return {"kind": "function", "name": item.name}
        numeric = isinstance(item, (np.ndarray, np.generic)) and item.dtype.kind in "biuf"
        if numeric and (type(item) is np.ndarray or isinstance(item, np.generic)):
            arrays[path] = np.array(item)
            return {"kind": "array" if type(item) is np.ndarray else "npscalar", "key": path}
        if type(item) in (dict, tuple, list) and depth == MAX_DEPTH:
            packed = _packed(item) if type(item) is not dict and item else None
            if packed is None:  # its members would sit deeper than from_arrays reads
                return _refuse(item, strict, "a tree nested more than MAX_DEPTH levels")
        if type(item) is dict and all(type(k) is str and _NAME.fullmatch(k) for k in item):
            items = {k: spec(v, f"{path}.{k}", depth + 1) for k, v in item.items()}
            return {"kind": "dict", "items": items}
        if type(item) in (tuple, list):
            packed = _packed(item) if item else None
            if packed is not None:
                arrays[path] = packed
                return {"kind": "numbers", "type": type(item).__name__, "key": path}
            items = [spec(v, f"{path}.{i}", depth + 1) for i, v in enumerate(item)]
            return {"kind": type(item).__name__, "items": items}
        return _refuse(item, strict, "not a plain value")

    return spec(value, prefix, 1), arrays


def _refuse(item, strict: bool, why: str) -> dict:
    if strict:
        raise TypeError(f"{type(item).__name__} cannot cross the sandbox boundary: {why}.")
    return {"kind": "other", "type": re.sub(r"\W", "", type(item).__name__)[:40] or "object"}


def _array(node: dict, arrays) -> np.ndarray:
    key = node.get("key")
    if type(key) is not str or key not in arrays:
        raise ValueError("missing array")
    array = arrays[key]
    if type(array) is not np.ndarray or array.dtype.kind not in "biuf":
        raise ValueError("not a plain numeric array")
    return array


def from_arrays(spec, arrays) -> object:
    """The tree ``to_arrays`` described; ValueError for anything malformed (never trusts it)."""

    def build(node, depth: int):
        if type(node) is not dict or depth > MAX_DEPTH:
            raise ValueError("malformed spec")
        kind = node.get("kind")
        if kind == "none":
            return None
        if kind in ("bool", "float", "int", "str"):
            value = node.get("value")
            if type(value) is not {"bool": bool, "float": float, "int": int, "str": str}[kind]:
                if not (kind == "float" and type(value) is int):  # JSON writes 2.0 as 2.0
                    raise ValueError("malformed scalar")
            return float(value) if kind == "float" else value
        if kind == "function":
            name = node.get("name")
            if type(name) is not str or name not in SAFE_FUNCTIONS:
                raise ValueError("unknown function")
            return SAFE_FUNCTIONS[name]
        if kind in ("array", "npscalar"):
            array = _array(node, arrays)
            if kind == "npscalar":
                if array.ndim != 0:
                    raise ValueError("bad scalar")
                return array[()]
            return array
        if kind == "numbers":
            array, sequence = _array(node, arrays), node.get("type")
            if array.ndim == 0 or sequence not in ("list", "tuple"):
                raise ValueError("malformed numbers")
            values = array.tolist()
            return values if sequence == "list" else _tuples(values)
        if kind == "dict":
            items = node.get("items")
            if type(items) is not dict or not all(type(k) is str for k in items):
                raise ValueError("malformed dict")
            return {k: build(v, depth + 1) for k, v in items.items()}
        if kind in ("tuple", "list"):
            items = node.get("items")
            if type(items) is not list:
                raise ValueError("malformed sequence")
            built = [build(v, depth + 1) for v in items]
            return tuple(built) if kind == "tuple" else built
        if kind == "other":
            name = node.get("type")
            if type(name) is not str or not re.fullmatch(r"\w{1,40}", name):
                raise ValueError("malformed type name")
            return type(name, (), {})()  # a placeholder: no check accepts it as a number
        raise ValueError(f"unknown kind {kind!r}")

    return build(spec, 1)


def _tuples(values):
    return tuple(_tuples(v) if isinstance(v, list) else v for v in values)


def call_to_arrays(call, index: int) -> tuple[dict, dict[str, np.ndarray]]:
    """One call (function, args, kwargs, stand_ins) as a JSON-able plan entry plus its arrays,
    every name prefixed ``c{index}.``. What is only for judging (a Call's ``context``) stays
    outside; ``stand_ins`` travel with the call."""
    arrays: dict[str, np.ndarray] = {}
    entry = {"function": call.function, "args": [], "kwargs": {}, "stand_ins": {}}
    for position, arg in enumerate(call.args):
        spec, more = to_arrays(arg, f"c{index}.arg{position}")
        entry["args"].append(spec)
        arrays.update(more)
    for key, value in call.kwargs.items():
        spec, more = to_arrays(value, f"c{index}.kw.{key}")
        entry["kwargs"][key] = spec
        arrays.update(more)
    for name, value in getattr(call, "stand_ins", {}).items():
        spec, more = to_arrays(value, f"c{index}.stand_in.{name}")
        entry["stand_ins"][name] = spec
        arrays.update(more)
    return entry, arrays
