#!/usr/bin/python3
"""bdsweep's engine against PyTorch, side by side in one run: the same model
(the twin in python/bdsweep_models.py), batch, input, thread count and step
count, training (forward, cross-entropy, backward, SGD momentum 0.9 weight
decay 5e-4) and evaluation forwards on random data.

    /usr/bin/python3 bench/compare_pytorch.py --arch resnet20 --input 3x32x32
    /usr/bin/python3 bench/compare_pytorch.py --table      # the bench/README.md table

Needs build/bdsweep (meson compile -C build). Without PyTorch it prints
bdsweep's numbers only and says so. The runs alternate (bdsweep, PyTorch,
bdsweep, ...) --repeat times and the best of each is reported, so that a
noisy neighbour hurts both equally.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

try:
    import torch
    import torch.nn.functional as F

    import bdsweep_models
except ImportError:  # run with /usr/bin/python3 for PyTorch
    torch = None

TABLE = [
    ("cnn-small", "1x28x28"),
    ("resnet20", "3x32x32"),
    ("nasnet-a-mobile", "3x32x32"),
    ("resnet50(width=0.25,stem=cifar)", "3x32x32"),
]


def run_bdsweep(exe, arch, batch, inp, threads, steps, warmup):
    cmd = [exe, "bench", "--arch", arch, "--batch", str(batch), "--input", inp, "--threads", str(threads),
           "--steps", str(steps), "--warmup", str(warmup)]
    # OpenBLAS starts its thread pool when it is loaded, before bdsweep can
    # say how many threads it wants; idle pool threads spin for a while and
    # take the other core from whatever runs beside. The environment variable
    # sizes the pool before it starts (the same thing a cluster job should set).
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return None, p.stderr.strip()
    line = p.stdout.strip().splitlines()[-1]
    vals = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    return {k: v.strip('"') for k, v in vals.items()}, line


def run_torch(arch, batch, inp, threads, steps, warmup):
    torch.set_num_threads(threads)
    shape = tuple(int(v) for v in inp.split("x"))
    torch.manual_seed(0)
    model = bdsweep_models.build(arch, shape, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, *shape)
    y = torch.randint(0, 10, (batch,))

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(warmup):
        train_step()
    t0 = time.perf_counter()
    for _ in range(steps):
        train_step()
    t_train = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        t0 = time.perf_counter()
        for _ in range(steps):
            model(x)
        t_eval = time.perf_counter() - t0
    return {"train_img_per_s": steps * batch / t_train, "eval_img_per_s": steps * batch / t_eval}


def compare(args, arch, inp):
    best_b, best_t, best_line = None, None, ""
    for _ in range(args.repeat):
        b, line = run_bdsweep(args.exe, arch, args.batch, inp, args.threads, args.steps, args.warmup)
        if b is None:
            print(f"{arch} {inp}: bdsweep cannot run it: {line}")
            return None
        if best_b is None or float(b["train_img_per_s"]) > float(best_b["train_img_per_s"]):
            best_b, best_line = b, line
        if torch is not None and (arch.split("(")[0] in bdsweep_models.ARCHS):
            t = run_torch(arch, args.batch, inp, args.threads, args.steps, args.warmup)
            if best_t is None or t["train_img_per_s"] > best_t["train_img_per_s"]:
                best_t = t
    bt, be = float(best_b["train_img_per_s"]), float(best_b["eval_img_per_s"])
    print(f"bdsweep: {best_line}")
    if best_t is None:
        why = "PyTorch is not installed (use /usr/bin/python3)" if torch is None else "no PyTorch twin of this arch"
        print(f"pytorch: skipped: {why}")
        return (arch, inp, bt, be, None, None)
    tt, te = best_t["train_img_per_s"], best_t["eval_img_per_s"]
    print(f"pytorch: arch=\"{arch}\" batch={args.batch} input={inp} threads={args.threads} "
          f"train_img_per_s={tt:.1f} eval_img_per_s={te:.1f} torch={torch.__version__}")
    print(f"ratio bdsweep/pytorch: train {bt / tt:.2f}x eval {be / te:.2f}x")
    return (arch, inp, bt, be, tt, te)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="resnet20", help="arch value as in a sweep (default resnet20)")
    ap.add_argument("--input", default="3x32x32", help="CxHxW (default 3x32x32)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs of each; the best counts")
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "bdsweep"))
    ap.add_argument("--table", action="store_true", help="run the bench/README.md table")
    args = ap.parse_args()
    if not os.access(args.exe, os.X_OK):
        sys.exit(f"{args.exe} not found: build first (meson setup build && meson compile -C build)")
    rows = TABLE if args.table else [(args.arch, args.input)]
    results = [r for r in (compare(args, a, i) for a, i in rows) if r]
    if args.table:
        print()
        print(f"| model, batch {args.batch}, {args.threads} thread(s) | input | bdsweep train img/s | PyTorch train "
              f"img/s | ratio | bdsweep eval img/s | PyTorch eval img/s |")
        print("|---|---|---|---|---|---|---|")
        for arch, inp, bt, be, tt, te in results:
            if tt is None:
                print(f"| {arch} | {inp} | {bt:.0f} | - | - | {be:.0f} | - |")
            else:
                print(f"| {arch} | {inp} | {bt:.0f} | {tt:.0f} | {bt / tt:.2f}x | {be:.0f} | {te:.0f} |")


if __name__ == "__main__":
    main()
