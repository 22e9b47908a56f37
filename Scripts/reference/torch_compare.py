#!/usr/bin/env python3
"""Recomputes one reference fixture with PyTorch (float32, autograd) and writes torch's numbers.

    <python with torch> Scripts/reference/torch_compare.py <fixture.json> <out.json>

<fixture.json> is a file written by rnn_reference.py (its header documents the format). The output is

    {"generator": "<this command line>", "case": name, "torch": "<torch version>",
     "expected": {"outputs": T, "finalStates": {"0.forward.h": T, …}, "loss": number,
                  "gradients": {"input": T, "initialState.h": T, "<param key>": T, …}}}

in the same layout as the fixture's own "expected", so TorchComparisonTests can hold the Swift engine against
either. The fixture's weights map to torch names as RecurrentEncoder documents: "{l}.forward.wx" →
weight_ih_l{l}, "{l}.backward.wh" → weight_hh_l{l}_reverse, "bx" → bias_ih, "bh" → bias_hh. Elman maps to
nn.RNN(nonlinearity="tanh") with our single bias "b" in bias_ih and zeros in bias_hh (so the gradient of "b" is
bias_ih's); torch has no sigmoid RNN, so elman-sigmoid fixtures are refused (exit status 2). Variable lengths go
through pack_padded_sequence(enforce_sorted=False): torch's reverse direction on a packed batch reads each
sequence reversed within its own length, and h_n holds each sequence's state after its last real step, both as
in stmd. The "linear" fixture goes through F.linear and F.cross_entropy (mean over rows).
"""

import json
import pathlib
import sys

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

MODULES = {
    "elman-tanh": lambda **shape: nn.RNN(nonlinearity="tanh", **shape),
    "gru": nn.GRU,
    "lstm": nn.LSTM,
}


def load(t):
    return torch.tensor(t["data"], dtype=torch.float32).reshape(t["shape"])


def dump(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def recurrent(fixture):
    kind, layers, batch = fixture["cell"], fixture["layers"], fixture["batch"]
    directions = ("forward", "backward") if fixture["bidirectional"] else ("forward",)
    state_names = ("h", "c") if kind == "lstm" else ("h",)
    module = MODULES[kind](
        input_size=fixture["inputSize"], hidden_size=fixture["hiddenSize"], num_layers=layers,
        bidirectional=fixture["bidirectional"], bias=True)
    params = {key: load(t) for key, t in fixture["parameters"].items()}
    names = {}  # our key → torch parameter, for reading gradients back
    with torch.no_grad():
        for layer in range(layers):
            for index, direction in enumerate(directions):
                suffix, prefix = f"_l{layer}" + ("_reverse" if index else ""), f"{layer}.{direction}."
                ours = {"wx": "weight_ih", "wh": "weight_hh"}
                ours.update({"b": "bias_ih"} if kind.startswith("elman") else {"bx": "bias_ih", "bh": "bias_hh"})
                for key, torch_name in ours.items():
                    getattr(module, torch_name + suffix).copy_(params[prefix + key])
                    names[prefix + key] = getattr(module, torch_name + suffix)
                if kind.startswith("elman"):
                    getattr(module, "bias_hh" + suffix).zero_()

    x = load(fixture["input"]).requires_grad_()
    initial = None
    if fixture["initialState"] is not None:
        initial = [load(fixture["initialState"][name]).unsqueeze(0).requires_grad_() for name in state_names]
    hx = None if initial is None else (tuple(initial) if kind == "lstm" else initial[0])
    lengths = fixture["lengths"]
    if lengths is not None:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        packed_out, final = module(packed, hx)
        outputs, _ = pad_packed_sequence(packed_out, total_length=fixture["steps"])
    else:
        outputs, final = module(x, hx)
    final = final if kind == "lstm" else (final,)  # each [layers · directions, B, H]

    loss = (outputs * load(fixture["outputWeights"])).sum()
    finals = {}
    for layer in range(layers):
        for index, direction in enumerate(directions):
            for name, state in zip(state_names, final):
                key = f"{layer}.{direction}.{name}"
                finals[key] = state[layer * len(directions) + index]
                loss = loss + (finals[key] * load(fixture["finalWeights"][key])).sum()
    loss.backward()

    gradients = {"input": dump(x.grad)}
    gradients.update({key: dump(parameter.grad) for key, parameter in names.items()})
    if initial is not None:
        gradients.update({f"initialState.{name}": dump(t.grad[0]) for name, t in zip(state_names, initial)})
    return {"outputs": dump(outputs), "finalStates": {k: dump(v) for k, v in finals.items()},
            "loss": loss.item(), "gradients": gradients}


def linear(fixture):
    x = load(fixture["input"]).requires_grad_()
    weight = load(fixture["parameters"]["weight"]).requires_grad_()
    bias = load(fixture["parameters"]["bias"]).requires_grad_()
    logits = F.linear(x, weight, bias)
    loss = F.cross_entropy(logits, torch.tensor(fixture["labels"]))
    loss.backward()
    return {"outputs": dump(logits), "loss": loss.item(),
            "gradients": {"input": dump(x.grad), "weight": dump(weight.grad), "bias": dump(bias.grad)}}


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} <fixture.json> <out.json>")
    fixture = json.loads(pathlib.Path(sys.argv[1]).read_text())
    if fixture["cell"] == "elman-sigmoid":
        print(f"{fixture['case']}: torch has no sigmoid RNN; nothing to compare", file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(1)
    expected = linear(fixture) if fixture["cell"] == "linear" else recurrent(fixture)
    result = {"generator": " ".join([sys.executable] + sys.argv), "case": fixture["case"], "torch": torch.__version__,
              "expected": expected}
    pathlib.Path(sys.argv[2]).write_text(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
