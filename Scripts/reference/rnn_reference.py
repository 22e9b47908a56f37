#!/usr/bin/env python3
"""Independent float64 NumPy reference for stmd's recurrent engine (Elman, GRU, LSTM, stacks, Linear + CE).

Everything here is written from the formulas in the cells' doc comments, not from the Swift code:

    Elman  h' = f(Wx·x + Wh·h + b),  f = sigmoid or tanh, one bias
    GRU    r = σ(Wx_r·x + bx_r + Wh_r·h + bh_r),  z = σ(… _z …),  n = tanh(Wx_n·x + bx_n + r ⊙ (Wh_n·h + bh_n)),
           h' = (1 − z) ⊙ n + z ⊙ h                                   (PyTorch, gate rows r, z, n)
    LSTM   [i, f, g, o] = [σ, σ, tanh, σ](Wx·x + bx + Wh·h + bh),  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
                                                                       (PyTorch, gate rows i, f, g, o)

Input is time-major [T, B, D]. With lengths, steps t >= lengths[b] carry row b's state over unchanged and emit
zeros. A bidirectional layer runs its backward direction on each sequence reversed within its own length and
un-reverses the outputs, concatenated after the forward ones ([fwd ; bwd] along features). Layer l > 0 reads
layer l − 1's output (no dropout). Backward (BPTT) is hand-written and checked here against central finite
differences (float64, eps 1e-6) for every parameter, the input and the initial state before anything is written.

Regenerate from the package root with:

    python3 Scripts/reference/rnn_reference.py

Fixture format (one JSON file per case in Tests/STMModelsTests/Fixtures/reference/<case>.json),
where T = {"shape": [...], "data": [flat row-major list of numbers]}:

    {"generator": "<the command line above>", "case": name,
     "cell": "elman-sigmoid" | "elman-tanh" | "gru" | "lstm" | "linear",
     "inputSize": D, "hiddenSize": H, "layers": L, "bidirectional": bool, "steps": T, "batch": B,
     "lengths": [..] or null,
     "input": T [T, B, D],
     "initialState": {"h": T [B, H], "c": T [B, H] (lstm only)} or null (only single-layer unidirectional cases),
     "parameters": {key: T} with the keys of RecurrentEncoder.Parameters: "0.forward.wx", "0.forward.wh",
                   "0.forward.b" (Elman) or "0.forward.bx" / "0.forward.bh" (GRU, LSTM), "1.backward.wx", …,
     "outputWeights": T [T, B, H·directions],
     "finalWeights": {"0.forward.h": T [B, H], "0.forward.c": T (lstm only), "0.backward.h": T, …},
     "expected": {"outputs": T, "finalStates": {"0.forward.h": T, …}, "loss": number,
                  "gradients": {"input": T, "initialState.h": T, "initialState.c": T, "<param key>": T, …}}}

The loss is L = Σ outputs ⊙ outputWeights + Σ over every layer, direction and state component of
state ⊙ finalWeights, so dL/doutputs = outputWeights and dL/dfinalState = finalWeights.

The "linear" case is Linear + softmax cross-entropy (mean over rows): "input" is [N, D], "hiddenSize" is the
class count C, "batch" is N, "steps" / "lengths" / "initialState" / "outputWeights" / "finalWeights" are null,
"parameters" holds "weight" [C, D] and "bias" [C], "labels" is [N] ints, and "expected" holds "outputs" (the
logits [N, C]), "loss" and "gradients" for "input", "weight" and "bias".
"""

import argparse
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "STMModelsTests" / "Fixtures" / "reference"
GENERATOR = "python3 Scripts/reference/rnn_reference.py"
BOUND = 0.8  # weights and inputs uniform in ±0.8: pre-activations stay in the unsaturated range


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class Elman:
    state_names = ("h",)

    def __init__(self, activation):
        self.activation = activation

    def shapes(self, d, h):
        return {"wx": (h, d), "wh": (h, h), "b": (h,)}

    def step(self, p, x, state):
        (h,) = state
        pre = x @ p["wx"].T + h @ p["wh"].T + p["b"]
        y = sigmoid(pre) if self.activation == "sigmoid" else np.tanh(pre)
        return (y,), (x, h, y)

    def step_backward(self, p, g, cache, d_state):
        x, h, y = cache
        slope = y * (1 - y) if self.activation == "sigmoid" else 1 - y * y
        d_pre = d_state[0] * slope
        g["wx"] += d_pre.T @ x
        g["wh"] += d_pre.T @ h
        g["b"] += d_pre.sum(axis=0)
        return d_pre @ p["wx"], (d_pre @ p["wh"],)


class GRU:
    state_names = ("h",)

    def shapes(self, d, h):
        return {"wx": (3 * h, d), "wh": (3 * h, h), "bx": (3 * h,), "bh": (3 * h,)}

    def step(self, p, x, state):
        (h,) = state
        n_h = h.shape[1]
        a = x @ p["wx"].T + p["bx"]
        u = h @ p["wh"].T + p["bh"]
        r = sigmoid(a[:, :n_h] + u[:, :n_h])
        z = sigmoid(a[:, n_h:2 * n_h] + u[:, n_h:2 * n_h])
        n = np.tanh(a[:, 2 * n_h:] + r * u[:, 2 * n_h:])
        return ((1 - z) * n + z * h,), (x, h, r, z, n, u[:, 2 * n_h:])

    def step_backward(self, p, g, cache, d_state):
        x, h, r, z, n, u_n = cache
        d_h = d_state[0]
        d_n_pre = d_h * (1 - z) * (1 - n * n)           # through n = tanh(·)
        d_r_pre = d_n_pre * u_n * r * (1 - r)            # r scales u_n inside the tanh
        d_z_pre = d_h * (h - n) * z * (1 - z)
        d_a = np.concatenate([d_r_pre, d_z_pre, d_n_pre], axis=1)      # input half
        d_u = np.concatenate([d_r_pre, d_z_pre, d_n_pre * r], axis=1)  # recurrent half
        g["wx"] += d_a.T @ x
        g["bx"] += d_a.sum(axis=0)
        g["wh"] += d_u.T @ h
        g["bh"] += d_u.sum(axis=0)
        return d_a @ p["wx"], (d_h * z + d_u @ p["wh"],)


class LSTM:
    state_names = ("h", "c")

    def shapes(self, d, h):
        return {"wx": (4 * h, d), "wh": (4 * h, h), "bx": (4 * h,), "bh": (4 * h,)}

    def step(self, p, x, state):
        h, c = state
        n_h = h.shape[1]
        pre = x @ p["wx"].T + p["bx"] + h @ p["wh"].T + p["bh"]
        i, f = sigmoid(pre[:, :n_h]), sigmoid(pre[:, n_h:2 * n_h])
        gg, o = np.tanh(pre[:, 2 * n_h:3 * n_h]), sigmoid(pre[:, 3 * n_h:])
        c_new = f * c + i * gg
        tc = np.tanh(c_new)
        return (o * tc, c_new), (x, h, c, i, f, gg, o, tc)

    def step_backward(self, p, g, cache, d_state):
        x, h, c, i, f, gg, o, tc = cache
        d_h, d_c_in = d_state
        d_c = d_c_in + d_h * o * (1 - tc * tc)
        d_pre = np.concatenate(
            [d_c * gg * i * (1 - i), d_c * c * f * (1 - f), d_c * i * (1 - gg * gg), d_h * tc * o * (1 - o)], axis=1)
        g["wx"] += d_pre.T @ x
        g["wh"] += d_pre.T @ h
        g["bx"] += d_pre.sum(axis=0)
        g["bh"] += d_pre.sum(axis=0)
        return d_pre @ p["wx"], (d_pre @ p["wh"], d_c * f)


CELLS = {"elman-sigmoid": lambda: Elman("sigmoid"), "elman-tanh": lambda: Elman("tanh"), "gru": GRU, "lstm": LSTM}


def active_mask(steps, batch, lengths):
    """[T, B, 1] booleans: step t is a real element of sequence b."""
    lengths = lengths if lengths is not None else [steps] * batch
    return (np.arange(steps)[:, None] < np.array(lengths)[None, :])[:, :, None]


def reverse_within(xs, lengths):
    """Reverses each sequence of [T, B, F] within its own length; padding stays at the end. Its own inverse."""
    out = xs.copy()
    for b, n in enumerate(lengths if lengths is not None else [xs.shape[0]] * xs.shape[1]):
        out[:n, b] = xs[:n, b][::-1]
    return out


def unroll(cell, p, xs, lengths, state):
    mask = active_mask(xs.shape[0], xs.shape[1], lengths)
    outputs, caches = [], []
    for t in range(xs.shape[0]):
        new, cache = cell.step(p, xs[t], state)
        state = tuple(np.where(mask[t], n, s) for n, s in zip(new, state))
        outputs.append(np.where(mask[t], new[0], 0.0))
        caches.append(cache)
    return np.stack(outputs), state, (caches, mask)


def unroll_backward(cell, p, g, memo, d_outputs, d_final):
    caches, mask = memo
    d_state, d_xs = d_final, []
    for t in reversed(range(len(caches))):
        d_new = [np.where(mask[t], d, 0.0) for d in d_state]
        d_new[0] = d_new[0] + np.where(mask[t], d_outputs[t], 0.0)
        carried = [np.where(mask[t], 0.0, d) for d in d_state]
        d_x, d_previous = cell.step_backward(p, g, caches[t], tuple(d_new))
        d_xs.append(d_x)
        d_state = tuple(a + b for a, b in zip(d_previous, carried))
    return np.stack(d_xs[::-1]), d_state


def sub(params, prefix):
    """The tensors under `prefix`, keys stripped (the same array objects, so in-place += reaches `params`)."""
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def encoder_forward(spec, cell, params, x, initial):
    directions = ("forward", "backward") if spec["bidirectional"] else ("forward",)
    lengths, layer_input, finals, memos = spec["lengths"], x, {}, []
    for layer in range(spec["layers"]):
        outputs, layer_memos = [], []
        for direction in directions:
            prefix = f"{layer}.{direction}."
            xs = layer_input if direction == "forward" else reverse_within(layer_input, lengths)
            state = initial if initial is not None else tuple(
                np.zeros((x.shape[1], spec["hiddenSize"])) for _ in cell.state_names)
            out, final, memo = unroll(cell, sub(params, prefix), xs, lengths, state)
            outputs.append(out if direction == "forward" else reverse_within(out, lengths))
            finals.update({prefix + name: s for name, s in zip(cell.state_names, final)})
            layer_memos.append(memo)
        memos.append(layer_memos)
        layer_input = np.concatenate(outputs, axis=2)
    return layer_input, finals, memos


def encoder_loss_and_gradients(spec, cell, params, x, initial, out_w, final_w):
    outputs, finals, memos = encoder_forward(spec, cell, params, x, initial)
    loss = float((outputs * out_w).sum() + sum((finals[k] * final_w[k]).sum() for k in finals))
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    n_h, lengths = spec["hiddenSize"], spec["lengths"]
    d_layer_output, d_initial = out_w, None
    for layer in reversed(range(spec["layers"])):
        d_input = 0.0
        for index, memo in enumerate(memos[layer]):
            direction = ("forward", "backward")[index]
            prefix = f"{layer}.{direction}."
            d_out = d_layer_output[:, :, index * n_h:(index + 1) * n_h]
            d_final = tuple(final_w[prefix + name] for name in cell.state_names)
            if direction == "backward":
                d_out = reverse_within(d_out, lengths)
            d_xs, d_state = unroll_backward(cell, sub(params, prefix), sub(grads, prefix), memo, d_out, d_final)
            d_input = d_input + (d_xs if direction == "forward" else reverse_within(d_xs, lengths))
            d_initial = d_state
        d_layer_output = d_input
    grads["input"] = d_layer_output
    if initial is not None:
        grads.update({f"initialState.{name}": d for name, d in zip(cell.state_names, d_initial)})
    return outputs, finals, loss, grads


def check_padding_alone(name, spec, cell, params, x, outputs, finals):
    """Padding must not matter: each sequence run alone at its own length gives the same outputs and finals."""
    for b, n in enumerate(spec["lengths"]):
        alone_outputs, alone_finals, _ = encoder_forward(dict(spec, lengths=None), cell, params, x[:n, b:b + 1], None)
        assert np.allclose(outputs[:n, b:b + 1], alone_outputs, rtol=0, atol=1e-14), f"{name}: outputs of row {b}"
        assert not outputs[n:, b].any(), f"{name}: padded outputs of row {b} are not zero"
        for key, state in finals.items():
            assert np.allclose(state[b:b + 1], alone_finals[key], rtol=0, atol=1e-14), f"{name}: {key} of row {b}"
    print(f"padding check  {name:<36} each sequence alone matches its padded row")


def linear_loss_and_gradients(x, weight, bias, labels):
    logits = x @ weight.T + bias
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = float(-log_p[rows, labels].mean())
    d_logits = np.exp(log_p)
    d_logits[rows, labels] -= 1
    d_logits /= len(labels)
    return logits, loss, {"input": d_logits @ weight, "weight": d_logits.T @ x, "bias": d_logits.sum(axis=0)}


def finite_difference_check(name, loss_of, variables, analytic, eps=1e-6):
    """Central differences for every element of every variable (perturbed in place, then restored).

    Relative error per element is |a − n| / max(|a|, |n|, 0.01). The floor is there because the quotient
    (L(θ+ε) − L(θ−ε)) / 2ε itself carries a rounding error of about ulp(L)/ε ≈ 5e-10 for L of order one: that is
    already 1e-6 of a gradient element of 5e-4, so below 0.01 the check is in effect on the absolute error
    (< 1e-8). Asserts the worst one is < 1e-6.
    """
    worst, worst_at, worst_absolute = 0.0, None, 0.0
    for key, array in variables.items():
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + eps
            plus = loss_of()
            array[index] = saved - eps
            minus = loss_of()
            array[index] = saved
            numeric, exact = (plus - minus) / (2 * eps), analytic[key][index]
            worst_absolute = max(worst_absolute, abs(numeric - exact))
            error = abs(numeric - exact) / max(abs(numeric), abs(exact), 0.01)
            if error > worst:
                worst, worst_at = error, f"{key}{list(index)} analytic {exact:.12g} numeric {numeric:.12g}"
    print(f"gradient check {name:<36} max relative error {worst:.2e}, max absolute {worst_absolute:.2e}"
          f"  (worst {worst_at})")
    assert worst < 1e-6, f"{name}: backward disagrees with finite differences: {worst_at}"


def uniform(rng, shape, bound=BOUND):
    return rng.uniform(-bound, bound, size=shape)


def tensor(array):
    array = np.asarray(array, dtype=np.float64)
    return {"shape": list(array.shape), "data": [float(v) for v in array.reshape(-1)]}


def recurrent_case(name, cell_name, seed, layers, bidirectional, lengths, with_initial_state,
                   steps=5, batch=3, input_size=3, hidden_size=4):
    rng = np.random.default_rng(seed)
    cell = CELLS[cell_name]()
    spec = {"hiddenSize": hidden_size, "layers": layers, "bidirectional": bidirectional, "lengths": lengths}
    directions = ("forward", "backward") if bidirectional else ("forward",)
    params = {}
    for layer in range(layers):
        width = input_size if layer == 0 else hidden_size * len(directions)
        for direction in directions:
            for key, shape in cell.shapes(width, hidden_size).items():
                params[f"{layer}.{direction}.{key}"] = uniform(rng, shape)
    x = uniform(rng, (steps, batch, input_size))
    initial = tuple(uniform(rng, (batch, hidden_size)) for _ in cell.state_names) if with_initial_state else None
    out_w = uniform(rng, (steps, batch, hidden_size * len(directions)), 1.0)
    final_w = {f"{layer}.{direction}.{s}": uniform(rng, (batch, hidden_size), 1.0)
               for layer in range(layers) for direction in directions for s in cell.state_names}

    outputs, finals, loss, grads = encoder_loss_and_gradients(spec, cell, params, x, initial, out_w, final_w)
    if lengths is not None:
        check_padding_alone(name, spec, cell, params, x, outputs, finals)
    variables = dict(params, input=x)
    if initial is not None:
        variables.update({f"initialState.{n}": s for n, s in zip(cell.state_names, initial)})
    finite_difference_check(
        name, lambda: encoder_loss_and_gradients(spec, cell, params, x, initial, out_w, final_w)[2], variables, grads)
    return {
        "generator": GENERATOR, "case": name, "cell": cell_name, "inputSize": input_size,
        "hiddenSize": hidden_size, "layers": layers, "bidirectional": bidirectional, "steps": steps,
        "batch": batch, "lengths": lengths, "input": tensor(x),
        "initialState": {n: tensor(s) for n, s in zip(cell.state_names, initial)} if initial is not None else None,
        "parameters": {k: tensor(v) for k, v in params.items()},
        "outputWeights": tensor(out_w),
        "finalWeights": {k: tensor(v) for k, v in final_w.items()},
        "expected": {
            "outputs": tensor(outputs), "finalStates": {k: tensor(v) for k, v in finals.items()}, "loss": loss,
            "gradients": {k: tensor(v) for k, v in grads.items()},
        },
    }


def linear_case(name, seed, rows=4, input_size=3, classes=5):
    rng = np.random.default_rng(seed)
    x, weight, bias = uniform(rng, (rows, input_size)), uniform(rng, (classes, input_size)), uniform(rng, (classes,))
    labels = [int(v) for v in rng.integers(0, classes, size=rows)]
    logits, loss, grads = linear_loss_and_gradients(x, weight, bias, labels)
    finite_difference_check(
        name, lambda: linear_loss_and_gradients(x, weight, bias, labels)[1],
        {"input": x, "weight": weight, "bias": bias}, grads)
    return {
        "generator": GENERATOR, "case": name, "cell": "linear", "inputSize": input_size, "hiddenSize": classes,
        "layers": 1, "bidirectional": False, "steps": None, "batch": rows, "lengths": None, "input": tensor(x),
        "initialState": None, "parameters": {"weight": tensor(weight), "bias": tensor(bias)},
        "outputWeights": None, "finalWeights": None, "labels": labels,
        "expected": {"outputs": tensor(logits), "loss": loss, "gradients": {k: tensor(v) for k, v in grads.items()}},
    }


def all_cases():
    cases, seed = [], 1000
    for cell_name in CELLS:
        seed += 1
        cases.append(recurrent_case(f"{cell_name}-single", cell_name, seed, layers=1, bidirectional=False,
                                    lengths=None, with_initial_state=True))
        seed += 1
        cases.append(recurrent_case(f"{cell_name}-stacked-bidirectional", cell_name, seed, layers=2,
                                    bidirectional=True, lengths=[5, 3, 1], with_initial_state=False))
    cases.append(linear_case("linear-cross-entropy", 2001))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help="folder for the JSON fixtures")
    args = parser.parse_args()
    cases = all_cases()  # every gradient check passes before anything is written
    args.out.mkdir(parents=True, exist_ok=True)
    for case in cases:
        path = args.out / f"{case['case']}.json"
        # One top-level key per line: readable diffs without one number per line.
        body = ",\n".join(f" {json.dumps(key)}: {json.dumps(value)}" for key, value in case.items())
        path.write_text("{\n" + body + "\n}\n")
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
