"""The regularizers against an independent PyTorch float64 implementation of
docs/EXPERIMENT.md section 6, through a whole model: reg_dump runs one training step
of a tiny resnet20 (blocks=1, width=4, 3x8x8, batch 8) with a regularizer and
prints its parameters, input and gradients; this script rebuilds the step in
PyTorch (python/bdsweep_models.py's twin, the same weights by name) and prints
the loss parts of both and the largest relative gradient difference.
Never run by the test suite (which must not need PyTorch).

    /usr/bin/python3 tests/regularizers/torch_reference.py build/tests/regularizers/reg_dump
"""
import os
import subprocess
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import bdsweep_models  # noqa: E402

torch.set_default_dtype(torch.float64)
N, K = 8, 3


def snnl(x, y, T):
    """Frosst et al.; samples without a same-class partner are skipped."""
    x = x.flatten(1)
    a = -((x[:, None, :] - x[None, :, :]) ** 2).sum(-1) / T
    total, counted = 0.0, 0
    for i in range(len(y)):
        others = [k for k in range(len(y)) if k != i]
        same = [k for k in others if y[k] == y[i]]
        if same:
            total = total + torch.logsumexp(a[i, others], 0) - torch.logsumexp(a[i, same], 0)
            counted += 1
    return total / counted


def contrastive(p, y, m):
    f = F.normalize(p, dim=1)
    terms = []
    for i in range(len(y)):
        for j in range(i + 1, len(y)):
            d = (f[i] - f[j]).norm()
            terms.append(d * d if y[i] == y[j] else torch.clamp(m - d, min=0) ** 2)
    return torch.stack(terms).mean()


# (spec, the term from the tagged representations {tag: tensor})
CASES = [
    ("logit-squeeze(weight=0.3)", lambda t, y: 0.3 * (t["logits"] ** 2).sum(1).mean()),
    ("contrastive(margin=1.2,weight=0.7)", lambda t, y: 0.7 * contrastive(t["penultimate"], y, 1.2)),
    ("snnl(layers=[stage1,stage3,penultimate],temperature=10,weight=2)",
     lambda t, y: 2 * (snnl(t["stage1"], y, 10) + snnl(t["stage3"], y, 10) + snnl(t["penultimate"], y, 10))),
    ("snnl(layers=[stage2],temperature=3,weight=-0.5)", lambda t, y: -0.5 * snnl(t["stage2"], y, 3)),
    ("manifold-mixup(alpha=1,layers=[stage1])", None),
    ("manifold-mixup(alpha=1,layers=[stage3])", None),
]


def parse(text):
    lines = text.split("\n")
    mix = lines[0].split()
    point, lam, perm = mix[1], float(mix[2]), [int(v) for v in mix[3:]]
    ce, reg = (float(v) for v in lines[1].split()[1:])
    x = torch.tensor([float(v) for v in lines[2].split()[1:]])
    params, grads = {}, {}
    for line in lines[3:]:
        if line:
            t = line.split()
            (params if t[0] == "P" else grads)[t[1]] = torch.tensor([float(v) for v in t[2:]])
    return point, lam, perm, ce, reg, x, params, grads


def reference(spec, term, dump):
    point, lam, perm, ce_c, reg_c, x, params, grads = parse(dump)
    m = bdsweep_models.build("resnet20(blocks=1,width=4)", (3, 8, 8), K).double()
    sd = m.state_dict()
    for k, v in params.items():
        sd[k].copy_(v.reshape(sd[k].shape))
    m.load_state_dict(sd)
    m.train()
    x = x.reshape(3, N, 8, 8).permute(1, 0, 2, 3).contiguous()  # CNHW -> NCHW
    y = torch.tensor([(i * 7) % K for i in range(N)])
    mix = lambda h, tag: lam * h + (1 - lam) * h[perm] if tag == point else h  # noqa: E731
    tags = {}
    h = mix(x, "input")
    h = tags["stage1"] = mix(F.relu(m.bn1(m.conv1(h))), "stage1")
    for s in range(3):
        h = tags[f"stage{s + 2}"] = mix(getattr(m, f"layer{s + 1}")(h), f"stage{s + 2}")
    tags["penultimate"] = torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)
    z = tags["logits"] = m.fc(tags["penultimate"])
    ce = lam * F.cross_entropy(z, y) + (1 - lam) * F.cross_entropy(z, y[perm])
    reg = term(tags, y) if term else torch.tensor(0.0)
    (ce + reg).backward()
    worst = max(((grads[k] - p.grad.flatten()).abs().max() / p.grad.abs().max()).item()
                for k, p in m.named_parameters())
    print(f"{spec:66s} ce {ce_c:.7f} / {ce.item():.7f}  reg {reg_c:.7f} / {reg.item():.7f}  "
          f"gradient rel. diff {worst:.1e}")
    return worst


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else "build/tests/regularizers/reg_dump"
    worst = 0.0
    for spec, term in CASES:
        dump = subprocess.run([exe, spec], check=True, capture_output=True, text=True).stdout
        worst = max(worst, reference(spec, term, dump))
    print(f"worst relative gradient difference {worst:.1e}")
    return 0 if worst < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
