#!/usr/bin/env python3
"""Tiny random-weight models of every architecture xling-model runs, with HF transformers' outputs.

For each family (llama with Llama 3 RoPE scaling, qwen2, qwen3, gemma3) this builds a tiny
`*ForCausalLM` from a fixed seed, saves it with `save_pretrained(safe_serialization=True)` into
crates/xling-model/tests/fixtures/tiny-<family>/ (config.json + model.safetensors; no tokenizer: the
tests work on token ids), writes `reference.json` (every hidden state in full, next-token
log-probabilities, greedy continuations) and, for the Llama-family models, a GGUF of the same weights
written with the `gguf` package in llama.cpp's conventions (tensor names from gguf's own name map; Q/K
rows permuted for `llama`; Llama 3 scaling as the `rope_freqs` tensor), so the GGUF path is checked
against the same numbers. The weights are random (no licence attaches to them).

Weights are drawn so that the forward pass is discriminating: embeddings N(0, 1) (N(0, 0.15^2) when
the head is tied, so logits stay O(1) and log-probabilities are not saturated), projections
N(0, 1/fan_in) (q and k doubled, so attention is far from uniform and RoPE matters), norm weights
around their neutral value, biases N(0, 0.5^2). Some checkpoints are saved in bfloat16 (the reference
is transformers loading the saved checkpoint with dtype float32), so both the f32 and the bf16 loading paths are tested;
the GGUFs of bf16 checkpoints store matrices as F16 and vectors as F32, as llama.cpp's f16 conversion
does (bf16 values fit f16 but for a few subnormals), those of f32 checkpoints store F32.

Run once (torch is a multi-GB install; CI only reads the committed output):

  python3 -m venv .cache/torch-venv && .cache/torch-venv/bin/pip install torch transformers gguf safetensors accelerate
  .cache/torch-venv/bin/python scripts/reference/tiny_families.py [OUT_DIR]

OUT_DIR defaults to crates/xling-model/tests/fixtures. Versions are recorded in each reference.json.
"""

import json
import math
import os
import sys

import numpy as np
import torch
import transformers
import gguf
import safetensors
from safetensors.torch import load_file
from transformers import (
    Gemma3ForCausalLM,
    Gemma3TextConfig,
    LlamaConfig,
    LlamaForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen3Config,
    Qwen3ForCausalLM,
)

VOCAB = 512
COMMON = dict(
    vocab_size=VOCAB,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    max_position_embeddings=512,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)


def families():
    return {
        "llama": dict(
            cls=LlamaForCausalLM,
            config=LlamaConfig(
                **COMMON,
                num_key_value_heads=2,
                rms_norm_eps=1e-5,
                tie_word_embeddings=False,
                # All three bands of the llama3 scheme occur with head_dim 16 and base 10,000:
                # wavelengths 6..63 kept, 199 interpolated, 628+ divided by the factor.
                rope_scaling=dict(
                    rope_type="llama3",
                    rope_theta=10000.0,
                    factor=8.0,
                    low_freq_factor=1.0,
                    high_freq_factor=4.0,
                    original_max_position_embeddings=256,
                ),
                rope_theta=10000.0,
            ),
            dtype=torch.bfloat16,
            gguf_arch=gguf.MODEL_ARCH.LLAMA,
        ),
        "qwen2": dict(
            cls=Qwen2ForCausalLM,
            config=Qwen2Config(
                **COMMON,
                num_key_value_heads=1,
                rms_norm_eps=1e-6,
                tie_word_embeddings=True,
                rope_theta=1000000.0,
            ),
            dtype=torch.float32,
            gguf_arch=gguf.MODEL_ARCH.QWEN2,
        ),
        "qwen3": dict(
            cls=Qwen3ForCausalLM,
            config=Qwen3Config(
                **COMMON,
                num_key_value_heads=2,
                head_dim=32,  # not hidden/heads: the explicit head_dim must be honoured
                rms_norm_eps=1e-6,
                tie_word_embeddings=False,
                rope_theta=1000000.0,
            ),
            dtype=torch.bfloat16,
            gguf_arch=gguf.MODEL_ARCH.QWEN3,
        ),
        "gemma3": dict(
            cls=Gemma3ForCausalLM,
            config=Gemma3TextConfig(
                **COMMON,
                num_key_value_heads=1,
                head_dim=16,
                query_pre_attn_scalar=16,
                sliding_window=4,  # shorter than the second sequence: the window matters
                layer_types=["sliding_attention", "full_attention"],
                rms_norm_eps=1e-6,
            ),
            dtype=torch.bfloat16,
            gguf_arch=None,
        ),
    }


def reinit(model, family, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name.endswith("bias"):
                v = 0.5 * r
            elif "norm" in name:
                # Gemma multiplies by (1 + w): w around 0; the others multiply by w: around 1.
                v = 0.2 * r if family == "gemma3" else 1.0 + 0.2 * r
            elif "embed_tokens" in name:
                # A tied head multiplies the normed state by the embedding: keep those logits O(1).
                v = 0.15 * r if model.config.tie_word_embeddings else r
            else:
                v = r / math.sqrt(p.shape[1])
                if "q_proj" in name or "k_proj" in name:
                    v = 2.0 * v
            p.copy_(v)


def sequences():
    rng = np.random.default_rng(20240607)
    return [
        [1] + [int(x) for x in rng.integers(3, VOCAB, size=5)],
        [1] + [int(x) for x in rng.integers(3, VOCAB, size=12)],
    ]


def g8(x):
    return float(f"{float(x):.8g}")


def versions():
    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gguf": getattr(gguf, "__version__", "0.19"),
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
    }


def reference(model, seqs):
    out = []
    for ids in seqs:
        x = torch.tensor([ids])
        with torch.no_grad():
            r = model(x, output_hidden_states=True)
        logp = torch.log_softmax(r.logits[0].float(), dim=-1)
        hidden = [[[g8(v) for v in row] for row in h[0].tolist()] for h in r.hidden_states]
        with torch.no_grad():
            gen = model.generate(x, max_new_tokens=6, do_sample=False, pad_token_id=0,
                                 eos_token_id=None)
        greedy = gen[0, len(ids):].tolist()
        # The greedy margin at each step, so a test knows the choices are not near-ties.
        margins = []
        with torch.no_grad():
            full = model(gen).logits[0, len(ids) - 1 : -1]
        for row in torch.log_softmax(full.float(), dim=-1):
            top = torch.topk(row, 2).values
            margins.append(g8(top[0] - top[1]))
        out.append(
            {
                "ids": ids,
                "hidden": hidden,
                "logprobs_last": [g8(v) for v in logp[-1].tolist()],
                "token_logprobs": [g8(logp[i, ids[i + 1]]) for i in range(len(ids) - 1)],
                "greedy": greedy,
                "greedy_margins": margins,
            }
        )
    return out


def llama_permute(w, n_head):
    """llama.cpp's Q/K row order for its adjacent-pair RoPE: within each head, HF row s*hd/2 + j goes
    to row 2j + s (written from the convention described in llama.rs's module doc)."""
    rows = w.shape[0]
    hd = rows // n_head
    rest = w.shape[1:]
    return w.reshape(n_head, 2, hd // 2, *rest).swapaxes(1, 2).reshape(rows, *rest)


def llama3_rope_divisors(cfg):
    p = cfg.rope_parameters
    hd = cfg.head_dim
    base = p["rope_theta"]
    factor, low, high = p["factor"], p["low_freq_factor"], p["high_freq_factor"]
    old = p["original_max_position_embeddings"]
    out = []
    for i in range(0, hd, 2):
        freq = 1.0 / (base ** (i / hd))
        wavelen = 2 * math.pi / freq
        if wavelen < old / high:
            out.append(1.0)
        elif wavelen > old / low:
            out.append(factor)
        else:
            s = (old / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - s) / factor + s))
    return np.array(out, dtype=np.float32)


def write_gguf(family, cfg, arch, folder, path, matrix_dtype):
    state = load_file(os.path.join(folder, "model.safetensors"))
    name = gguf.MODEL_ARCH_NAMES[arch]
    tmap = gguf.get_tensor_name_map(arch, cfg.num_hidden_layers)
    w = gguf.GGUFWriter(path, name)
    w.add_name(f"tiny-{family}")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(cfg.rope_parameters["rope_theta"])
    head_dim = getattr(cfg, "head_dim", None)
    if head_dim is not None:  # as llama.cpp: the key/value widths only when config.json sets them
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim or cfg.hidden_size // cfg.num_attention_heads)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if matrix_dtype == np.float16 else gguf.LlamaFileType.ALL_F32)
    if family == "llama":
        w.add_tensor(gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight",
                     llama3_rope_divisors(cfg))
    for hf_name, t in sorted(state.items()):
        data = t.float().numpy()
        if family == "llama":
            if hf_name.endswith(("q_proj.weight", "q_proj.bias")):
                data = llama_permute(data, cfg.num_attention_heads)
            elif hf_name.endswith(("k_proj.weight", "k_proj.bias")):
                data = llama_permute(data, cfg.num_key_value_heads)
        new = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise SystemExit(f"no GGUF name for {hf_name}")
        data = data.astype(matrix_dtype if data.ndim == 2 else np.float32)
        w.add_tensor(new, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    out_root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "crates", "xling-model", "tests", "fixtures"
    )
    torch.manual_seed(0)
    seqs = sequences()
    for seed, (family, spec) in enumerate(families().items()):
        cfg = spec["config"]
        model = spec["cls"](cfg)
        reinit(model, family, 1000 + seed)
        folder = os.path.join(out_root, f"tiny-{family}")
        os.makedirs(folder, exist_ok=True)
        model.to(spec["dtype"]).save_pretrained(folder, safe_serialization=True)
        p = os.path.join(folder, "generation_config.json")
        if os.path.exists(p):
            os.remove(p)
        # The reference is transformers reading the saved checkpoint back, upcast to float32 (so
        # RoPE tables are computed in float32 as for any float32 run, not cast with the weights).
        model = spec["cls"].from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
        model.eval()
        ref = {
            "generator": "scripts/reference/tiny_families.py",
            "family": family,
            "storage_dtype": str(spec["dtype"]).replace("torch.", ""),
            "compute": "float32, eager attention",
            "versions": versions(),
            "sequences": reference(model, seqs),
        }
        if spec["gguf_arch"] is not None:
            # bf16 weights fit f16 exactly (but for a few subnormals); f32 weights stay f32.
            matrix_dtype = np.float16 if spec["dtype"] == torch.bfloat16 else np.float32
            name = f"tiny-{family}-{'f16' if matrix_dtype == np.float16 else 'f32'}.gguf"
            write_gguf(family, cfg, spec["gguf_arch"], folder, os.path.join(folder, name),
                       matrix_dtype)
            ref["gguf"] = name
        with open(os.path.join(folder, "reference.json"), "w") as f:
            json.dump(ref, f, separators=(",", ":"))
            f.write("\n")
        sizes = {n: os.path.getsize(os.path.join(folder, n)) for n in sorted(os.listdir(folder))}
        print(family, sizes)


if __name__ == "__main__":
    main()
