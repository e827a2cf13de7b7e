"""How a Call's arguments and a learner's results cross the sandbox boundary: as named arrays.

The clean room (autograder/cleanroom.py) ships calls into a sandbox as one ``np.savez`` archive
and reads results back the same way, always with ``allow_pickle=False``: only numeric arrays and
a JSON description cross, never a Python object. The first assignment's calls needed numbers,
arrays and safe-function names. The second passes and returns *trees*: parameter dicts of float
arrays (``{"W1", "b1", "W2", "b2"}``), activation names, and tuples such as
``forward_propagation``'s ``(A2, cache)``.

A tree becomes a JSON *spec* plus arrays named by their path in the tree::

    to_arrays({"W1": w, "b1": b}, "arg1")
    -> ({"kind": "dict", "items": {"W1": {"kind": "array", "key": "arg1.W1"},
                                   "b1": {"kind": "array", "key": "arg1.b1"}}},
        {"arg1.W1": w, "arg1.b1": b})

Spec kinds:

- ``float``, ``int``, ``str``, ``bool``, ``none``: the value itself, in the JSON;
- ``array`` and ``npscalar``: a numeric (b, i, u, f) numpy array / numpy scalar, stored under
  ``key``;
- ``dict`` (string keys only), ``tuple``, ``list``: ``items``, the specs of their members;
- ``other``: anything else a learner returned, by its type's name only (``type``); it comes back
  as a placeholder object that no check accepts as a number.

Array names are ``PREFIX.PATH`` (``arg1.W1``, ``value.1.Z1``,
``stand_in.backward_propagation.dW1``), so an archive reads on its own. ``from_arrays``
trusts nothing: an unknown kind, a missing key, a non-numeric or object array, a tree deeper
than MAX_DEPTH or with more than MAX_LEAVES leaves raises ValueError (the clean room then
scores that call as unanswered).

This module imports only the standard library and numpy, so the sandbox harness, which must not
import ``solutions``, can carry an identical copy (a test can compare the two).
"""

from __future__ import annotations

import re

import numpy as np

MAX_DEPTH = 4  # {"W1": ...} is depth 1; (A2, {"Z1": ...}) depth 2
MAX_LEAVES = 64  # the largest tree the checks pass or expect holds 12 arrays
_NAME = re.compile(r"\w{1,40}")


def to_arrays(value, prefix: str, *, strict: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    """``(spec, arrays)`` for a tree of plain values (see the module docstring).

    ``strict`` (for calls the grader builds): anything that is not a plain value raises
    TypeError. Not strict (for what learner code returned): it becomes ``{"kind": "other"}``.
    """
    arrays: dict[str, np.ndarray] = {}
    leaves = [0]

    def spec(item, path: str, depth: int) -> dict:
        if depth > MAX_DEPTH:
            return _refuse(item, strict, "a tree nested more than MAX_DEPTH levels")
        if item is None:
            return {"kind": "none"}
        if isinstance(item, (bool, np.bool_)):
            return {"kind": "bool", "value": bool(item)}
        if type(item) is float or type(item) is int or type(item) is str:
            return {"kind": type(item).__name__, "value": item}
        numeric = isinstance(item, (np.ndarray, np.generic)) and item.dtype.kind in "biuf"
        if numeric and (type(item) is np.ndarray or isinstance(item, np.generic)):
            leaves[0] += 1
            if leaves[0] > MAX_LEAVES:
                return _refuse(item, strict, "more than MAX_LEAVES arrays")
            arrays[path] = np.array(item)
            return {"kind": "array" if type(item) is np.ndarray else "npscalar", "key": path}
        if type(item) is dict and all(type(k) is str and _NAME.fullmatch(k) for k in item):
            items = {k: spec(v, f"{path}.{k}", depth + 1) for k, v in item.items()}
            return {"kind": "dict", "items": items}
        if type(item) in (tuple, list):
            items = [spec(v, f"{path}.{i}", depth + 1) for i, v in enumerate(item)]
            return {"kind": type(item).__name__, "items": items}
        return _refuse(item, strict, "not a plain value")

    return spec(value, prefix, 1), arrays


def _refuse(item, strict: bool, why: str) -> dict:
    if strict:
        raise TypeError(f"{type(item).__name__} cannot cross the sandbox boundary: {why}.")
    return {"kind": "other", "type": re.sub(r"\W", "", type(item).__name__)[:40] or "object"}


def from_arrays(spec, arrays) -> object:
    """The tree ``to_arrays`` described; ValueError for anything malformed (never trusts it)."""
    leaves = [0]

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
        if kind in ("array", "npscalar"):
            leaves[0] += 1
            key = node.get("key")
            if leaves[0] > MAX_LEAVES or type(key) is not str or key not in arrays:
                raise ValueError("missing array")
            array = arrays[key]
            if type(array) is not np.ndarray or array.dtype.kind not in "biuf":
                raise ValueError("not a plain numeric array")
            if kind == "npscalar":
                if array.ndim != 0:
                    raise ValueError("bad scalar")
                return array[()]
            return array
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


def call_to_arrays(call, index: int) -> tuple[dict, dict[str, np.ndarray]]:
    """One Call as a JSON-able plan entry plus its arrays, every name prefixed ``c{index}.``.

    ``context`` stays outside (it is for ``verify`` only); ``stand_ins`` travel with the call.
    """
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
