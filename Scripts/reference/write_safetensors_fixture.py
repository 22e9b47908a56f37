#!/usr/bin/env python3
"""Writes the safetensors fixture that SafetensorsTests reads, using the reference implementation.

Regenerate from the package root with:

    ~/.cache/stmd/venv/bin/python Scripts/reference/write_safetensors_fixture.py

Needs numpy, safetensors and ml_dtypes (pip install numpy safetensors ml_dtypes). It writes
Tests/STMModelsTests/Fixtures/python-safetensors/mixed.safetensors and mixed.expected.json; the JSON
lists each tensor's dtype, shape and its values widened to float32, both as numbers and as uint32 bit
patterns, so the Swift test can compare bit for bit (including -0.0 and subnormals).

BF16 goes through safetensors.numpy.save_file with ml_dtypes.bfloat16 arrays (numpy has no bfloat16 of
its own); when torch is importable the script checks that torch rounds every value to the same bits.
"""

import json
import pathlib

import ml_dtypes
import numpy as np
from safetensors.numpy import load_file, save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "STMModelsTests" / "Fixtures" / "python-safetensors"
METADATA = {"format": "pt", "source": "write_safetensors_fixture.py"}

# Values that exercise sign, fractions, rounding, the largest finite and the smallest subnormal of each type.
F32_VALUES = np.concatenate([
    np.arange(-3, 3, dtype=np.float32) / np.float32(4),
    np.array([-0.0, 3.4028235e38, -1.0e-40, 1.0e-45], dtype=np.float32),
])
F16_VALUES = np.concatenate([
    np.arange(-6, 6, dtype=np.float32) * np.float32(0.3),
    np.array([65504.0, -6.0e-8, 1.0e-5, 2049.0], dtype=np.float32),  # 2049 rounds to even (2048)
])
BF16_VALUES = np.concatenate([
    np.arange(-4, 4, dtype=np.float32) * np.float32(1.7),
    np.array([3.14159265, -1.0e30, 1.0e-30, 257.0, 259.0, 65535.0], dtype=np.float32),  # 257→256, 259→260
])


def build():
    """Tensor name → array in its stored dtype."""
    return {
        "encoder.weight": F32_VALUES.reshape(2, 5),
        "encoder.bias": np.array(-2.5, dtype=np.float32),  # a scalar: shape []
        "decoder.weight": F16_VALUES.astype(np.float16).reshape(4, 4),
        "decoder.bias": BF16_VALUES.astype(ml_dtypes.bfloat16).reshape(2, 7),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }


def check_against_torch(tensors):
    """Confirms ml_dtypes and torch agree on bfloat16 rounding; skipped when torch is absent."""
    try:
        import torch
    except ImportError:
        return
    ours = tensors["decoder.bias"].view(np.uint16)
    theirs = torch.from_numpy(BF16_VALUES.reshape(2, 7)).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    assert np.array_equal(ours, theirs), (ours, theirs)


def expected(tensors):
    out = {"metadata": METADATA, "tensors": {}}
    names = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(ml_dtypes.bfloat16): "BF16"}
    for name, array in sorted(tensors.items()):
        widened = array.astype(np.float32).reshape(-1)
        out["tensors"][name] = {
            "dtype": names[array.dtype],
            "shape": list(array.shape),
            "values": [float(v) for v in widened],
            "bits": [int(b) for b in widened.view(np.uint32)],
        }
    return out


def main():
    tensors = build()
    check_against_torch(tensors)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "mixed.safetensors"
    save_file(tensors, str(path), metadata=METADATA)
    reloaded = load_file(str(path))
    for name, array in tensors.items():
        assert reloaded[name].shape == array.shape and reloaded[name].tobytes() == array.tobytes(), name
    with open(OUT / "mixed.expected.json", "w") as f:
        json.dump(expected(tensors), f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
