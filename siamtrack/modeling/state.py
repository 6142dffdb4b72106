"""Template states of :meth:`SiamRPN.template <siamtrack.modeling.SiamRPN.template>`: nests of
dicts, lists and tuples of tensors whose dim 0 is the batch."""
import torch


def concat_states(states):
    """Concatenate template states along dim 0 (the state of the batch of their templates)."""
    first = states[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(states)
    if isinstance(first, dict):
        return {key: concat_states([s[key] for s in states]) for key in first}
    if isinstance(first, (list, tuple)):
        parts = [concat_states(list(p)) for p in zip(*states)]
        return type(first)(*parts) if hasattr(first, "_fields") else type(first)(parts)
    raise TypeError(f"cannot batch a template state holding {type(first).__name__} "
                    "(states hold tensors in dicts, lists or tuples)")


def slice_state(state, start, stop):
    """Samples ``start:stop`` of a template state."""
    if isinstance(state, torch.Tensor):
        return state[start:stop]
    if isinstance(state, dict):
        return {key: slice_state(value, start, stop) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        parts = [slice_state(value, start, stop) for value in state]
        return type(state)(*parts) if hasattr(state, "_fields") else type(state)(parts)
    raise TypeError(f"cannot slice a template state holding {type(state).__name__}")
