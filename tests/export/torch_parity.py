"""Exported models give bdsweep's predictions in PyTorch: for each
architecture, export_fixture writes a checkpoint of a model with arbitrary
weights and BN statistics and bdsweep's eval-mode logits on fixed images;
`bdsweep export` writes it as safetensors; python/load_safetensors.py builds
the twin and loads it with load_state_dict(strict=True); its logits must
equal bdsweep's within 1e-4 relative (||torch - bdsweep|| / ||bdsweep||, the
parity tests' measure), and the file must hold every state_dict entry but
BN's num_batches_tracked.

    /usr/bin/python3 tests/export/torch_parity.py BDSWEEP EXPORT_FIXTURE WORKDIR
"""
import os
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from load_safetensors import load_file, load_model  # noqa: E402

TOL = 1e-4
N = 8
# arch text, input CxHxW, classes: every architecture, each stem, dropout
CASES = [
    ("cnn-small", "1x28x28", 10),
    ("cnn-small(conv1=8,dropout=0.5)", "3x16x16", 5),
    ("resnet20", "3x32x32", 10),
    ("resnet50(width=0.25,stem=cifar)", "3x32x32", 10),
    ("resnet50(depth=[1,1],stem=imagenet,width=0.125)", "3x64x64", 10),
    ("nasnet-a-mobile(cells=1,filters=8)", "3x48x48", 10),
    ("nasnet-a-cifar(cells=1,filters=8,dropout=0.3)", "3x16x16", 7),
]


def floats(path, *shape):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(*shape)


def check(bdsweep, fixture, work, i, arch, inp, classes):
    prefix = os.path.join(work, "m%d" % i)
    shape = tuple(int(v) for v in inp.split("x"))
    subprocess.run([fixture, arch, inp, str(classes), str(N), prefix], check=True)
    subprocess.run([bdsweep, "export", "--checkpoint", prefix + ".ckpt", "--arch", arch, "--input", inp,
                    "--classes", str(classes), "--out", prefix + ".safetensors"], check=True, stdout=subprocess.DEVNULL)
    model, meta = load_model(prefix + ".safetensors")
    x, ref = floats(prefix + ".input.f32", N, *shape), floats(prefix + ".logits.f32", N, classes)
    with torch.no_grad():
        y = model(x)
    rel = ((y - ref).norm() / ref.norm()).item()
    worst = ((y - ref).abs().max() / ref.abs().max()).item()
    same = (y.argmax(1) == ref.argmax(1)).sum().item()
    wanted = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    problems = []
    if not rel <= TOL:
        problems.append("logits differ: relative error %.3g > %g" % (rel, TOL))
    if set(load_file(prefix + ".safetensors")) != wanted:
        problems.append("the file's tensors are not the twin's state_dict")
    if (meta["input"], meta["classes"], meta["phase"], meta["epochs"]) != (inp, str(classes), "train", "2"):
        problems.append("metadata: %r" % meta)
    print("%-50s %-8s %4d tensors  rel. error %.1e  max|diff|/max|logit| %.1e  argmax %d/%d  %s"
          % (arch, inp, len(wanted), rel, worst, same, N, "; ".join(problems) or "ok"))
    return not problems


def main(bdsweep, fixture, work):
    torch.set_num_threads(1)
    ok = [check(bdsweep, fixture, work, i, *case) for i, case in enumerate(CASES)]
    print("export_torch: %s (PyTorch %s)" % ("ok" if all(ok) else "FAILED", torch.__version__))
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
