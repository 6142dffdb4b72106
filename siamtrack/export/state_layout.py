"""Template states as named graph tensors and back.

A template state (:meth:`SiamRPN.template <siamtrack.modeling.SiamRPN.template>`) is a nest of
dicts, lists and tuples of tensors. ``template.onnx`` returns its tensors as separate named
outputs and ``track.onnx`` takes them as named inputs; the *tree* (the nest with each tensor
replaced by its name, JSON-serialisable) is stored in ``model.json`` so a runtime rebuilds the
same nest. A tensor's name is its path joined by dots, e.g. ``kernels.0.cls`` (level 0's
classification kernel of a multi-level head). Tuples come back as lists.
"""
import torch


def state_tree(state, path=()):
    """The tree of ``state``: the same nest with every tensor replaced by its dotted name."""
    if isinstance(state, torch.Tensor):
        return ".".join(str(p) for p in path)
    if isinstance(state, dict):
        return {str(key): state_tree(value, path + (key,)) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return [state_tree(value, path + (i,)) for i, value in enumerate(state)]
    raise TypeError(f"cannot export a template state holding {type(state).__name__}")


def leaf_names(tree):
    """Tensor names of ``tree`` in traversal order (the order of the graphs' kernel tensors)."""
    if isinstance(tree, str):
        return [tree]
    values = tree.values() if isinstance(tree, dict) else tree
    return [name for value in values for name in leaf_names(value)]


def state_leaves(tree, state):
    """The tensors of ``state`` in the order of :func:`leaf_names` of ``tree`` (same nest)."""
    if isinstance(tree, str):
        return [state]
    if isinstance(tree, dict):
        return [t for key, value in tree.items() for t in state_leaves(value, state[key])]
    return [t for value, part in zip(tree, state) for t in state_leaves(value, part)]


def build_state(tree, tensors):
    """The nest of ``tree`` with each name replaced by ``tensors[name]``."""
    if isinstance(tree, str):
        return tensors[tree]
    if isinstance(tree, dict):
        return {key: build_state(value, tensors) for key, value in tree.items()}
    return [build_state(value, tensors) for value in tree]
