#!/usr/bin/python3
"""Writes the PyTorch parity fixtures that tests/parity/test_parity.c checks
bdsweep's engine against. Run by hand (PyTorch 1.13 is installed for
/usr/bin/python3 only), from anywhere:

    /usr/bin/python3 tests/parity/make_fixtures.py            # all fixtures
    /usr/bin/python3 tests/parity/make_fixtures.py resnet20   # those whose name contains it

Each fixture is one training step of one model on one batch: the input, the
labels, every parameter and buffer before the step, the logits of the
training-mode forward, the mean cross-entropy loss, every parameter gradient,
and the BN running statistics after the forward.

File format (little-endian), generic named float32 tensors:
    "BDFX" u32 version=1
    u32 n_meta, then n_meta x (str key, str value)       str = u32 length + bytes
    u32 n_tensors, then n_tensors x (str name, u32 ndim, u32 dims[ndim], f32 data[prod(dims)])
Meta: arch (bdsweep's arch text), input ("CxHxW"), classes, batch, and how far
PyTorch's own bf16 mixed precision (torch.cpu.amp.autocast) lands from these
fp32 results on the same step: bf16_logits_err, bf16_grads_err (relative
error of all gradients as one vector) and bf16_grads_median (the median of
the per-tensor relative errors); test_parity --bf16 holds bdsweep's bf16 to
them (see there).
Tensor names: input [N,C,H,W], labels [N] (class indices as floats),
logits [N,K], loss [1], "param:<name>", "buffer:<name>", "grad:<name>",
"buffer_after:<name>" (PyTorch layouts; the C test converts to CNHW).

To add a model: give it a PyTorch twin with bdsweep's parameter names in
python/bdsweep_models.py (registered in its ARCHS), add a line to FIXTURES,
run this, and list the new file in tests/parity/meson.build.
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))
import bdsweep_models  # noqa: E402

# name, arch text (bdsweep syntax), input CxHxW, classes, batch
FIXTURES = [
    ("cnn_small", "cnn-small(conv1=8,conv2=16,fc=32)", (1, 28, 28), 10, 4),
    ("resnet20_w8", "resnet20(width=8)", (3, 16, 16), 10, 4),
    ("resnet50_tiny_imagenet_stem", "resnet50(depth=[1,1],stem=imagenet,width=0.125)", (3, 32, 32), 10, 4),
    ("nasnet_cifar_tiny", "nasnet-a-cifar(cells=2,filters=4)", (3, 16, 16), 10, 4),
    ("nasnet_mobile_tiny", "nasnet-a-mobile(cells=1,filters=8,skip_reduction_input=true)", (3, 48, 48), 10, 4),
]


def put_str(f, s):
    b = s.encode()
    f.write(struct.pack("<I", len(b)))
    f.write(b)


def write_fixture(path, meta, tensors):
    with open(path, "wb") as f:
        f.write(b"BDFX")
        f.write(struct.pack("<I", 1))
        f.write(struct.pack("<I", len(meta)))
        for k, v in meta.items():
            put_str(f, k)
            put_str(f, str(v))
        f.write(struct.pack("<I", len(tensors)))
        for name, t in tensors:
            a = np.ascontiguousarray(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype="<f4")
            put_str(f, name)
            f.write(struct.pack("<I", a.ndim))
            f.write(struct.pack(f"<{a.ndim}I", *a.shape))
            f.write(a.tobytes())


def randomize_bn(model, gen):
    """BN at its identity initialisation would hide errors in gamma/beta and the
    running statistics: give them arbitrary values."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))


def make(arch, in_shape, classes, batch, seed):
    """The model, input and labels of a fixture, the same on every call."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = bdsweep_models.build(arch, in_shape, classes)
    randomize_bn(model, gen)
    x = torch.randn(batch, *in_shape, generator=gen)
    y = torch.randint(0, classes, (batch,), generator=gen)
    return model, x, y


def rel_err(a, b):
    return (torch.norm(a.double() - b.double()) / torch.norm(b.double())).item()


def bf16_errors(arch, in_shape, classes, batch, seed, logits, grads):
    """PyTorch's autocast bf16 step against the fp32 one (logits, grads by name)."""
    model, x, y = make(arch, in_shape, classes, batch, seed)
    model.train()
    with torch.cpu.amp.autocast(dtype=torch.bfloat16):
        out = model(x)
    F.cross_entropy(out.float(), y).backward()
    params = dict(model.named_parameters())
    per = sorted(rel_err(params[n].grad, g) for n, g in grads.items())
    all_ours = torch.cat([params[n].grad.flatten() for n in grads])
    all_ref = torch.cat([g.flatten() for g in grads.values()])
    return {"bf16_logits_err": f"{rel_err(out.float(), logits):.6g}",
            "bf16_grads_err": f"{rel_err(all_ours, all_ref):.6g}",
            "bf16_grads_median": f"{per[len(per) // 2]:.6g}"}


def one_step(name, arch, in_shape, classes, batch, seed=0):
    model, x, y = make(arch, in_shape, classes, batch, seed)
    tensors = [("input", x), ("labels", y.float())]
    params = list(model.named_parameters())
    buffers = [(n, b) for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")]
    tensors += [("param:" + n, p.detach().clone()) for n, p in params]
    tensors += [("buffer:" + n, b.detach().clone()) for n, b in buffers]
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    tensors += [("logits", logits), ("loss", loss.reshape(1))]
    tensors += [("grad:" + n, p.grad) for n, p in params]
    tensors += [("buffer_after:" + n, b) for n, b in buffers]
    meta = {"arch": arch, "input": "x".join(map(str, in_shape)), "classes": classes, "batch": batch}
    meta.update(bf16_errors(arch, in_shape, classes, batch, seed, logits.detach(),
                            {n: p.grad for n, p in params}))
    path = os.path.join(HERE, "fixtures", name + ".bdfx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_fixture(path, meta, tensors)
    n_params = sum(p.numel() for _, p in params)
    print(f"{path}: {arch} {meta['input']} batch {batch}: {n_params} parameters, loss {loss.item():.6f}, "
          f"{os.path.getsize(path) / 1024:.0f} KiB")


def main(argv):
    torch.set_num_threads(1)  # a summation order that does not depend on the core count
    chosen = [f for f in FIXTURES if not argv or any(a in f[0] for a in argv)]
    if not chosen:
        sys.exit(f"no fixture matches {argv}; known: {', '.join(f[0] for f in FIXTURES)}")
    for f in chosen:
        one_step(*f)


if __name__ == "__main__":
    main(sys.argv[1:])
