#!/usr/bin/python3
"""bdsweep's engine against PyTorch, side by side in one run on one machine:
the same model (the twin in python/bdsweep_models.py), batch, input, thread
count and step count; training steps (forward, cross-entropy, backward, SGD
momentum 0.9, weight decay 5e-4) and evaluation forwards on random data, in

    bdsweep fp32            bdsweep bench --precision fp32 (oneDNN engine)
    bdsweep bf16            bdsweep bench --precision bf16 (mixed precision)
    PyTorch NCHW fp32       the default a new user gets
    PyTorch cl fp32         model and input .to(memory_format=torch.channels_last)
    PyTorch cl bf16         channels_last under torch.cpu.amp.autocast(dtype=torch.bfloat16)

Every configuration runs in a process of its own, so that its peak resident
memory (VmHWM) is its own; the configurations alternate --repeat times and
the best run of each counts, so a noisy neighbour hurts all of them alike.
Rates are images per second of the process's CPU time (what a run costs a
core; on a shared machine wall time also counts moments another process
held the core), with wall-clock rates beside them (--wall ranks by those).
Each side's instruction set is printed: what oneDNN chose in bdsweep
(bench's isa=) and in PyTorch (its oneDNN's verbose info line), and ATen's
own CPU capability (torch.__config__.show()).

    /usr/bin/python3 bench/compare_pytorch.py --arch resnet20 --input 3x32x32
    /usr/bin/python3 bench/compare_pytorch.py --table     # the bench/README.md table
    /usr/bin/python3 bench/compare_pytorch.py --big       # full-width ResNet-50, batch 128

Needs build/bdsweep (meson compile -C build) and, for the PyTorch side,
/usr/bin/python3 with PyTorch 1.13 (Debian's python3-torch); without it
bdsweep's numbers are printed alone.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

TABLE = [
    ("cnn-small", "1x28x28", 64),
    ("resnet20", "3x32x32", 64),
    ("resnet50(width=0.25,stem=cifar)", "3x32x32", 64),
    ("nasnet-a-mobile", "3x32x32", 64),
]
BIG = [("resnet50(stem=cifar)", "3x32x32", 128)]

CONFIGS = ["bdsweep fp32", "bdsweep bf16", "PyTorch NCHW fp32", "PyTorch cl fp32", "PyTorch cl bf16"]


def vm_hwm_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return float("nan")


# ---- the PyTorch side: one configuration in this process (--torch-worker) ----

def torch_worker(arch, inp, batch, threads, steps, warmup, layout, precision):
    import torch
    import torch.nn.functional as F

    import bdsweep_models

    torch.set_num_threads(threads)
    shape = tuple(int(v) for v in inp.split("x"))
    torch.manual_seed(0)
    model = bdsweep_models.build(arch, shape, 10)
    x = torch.randn(batch, *shape)
    y = torch.randint(0, 10, (batch,))
    if layout == "cl":
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    bf16 = precision == "bf16"
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def train_step():
        opt.zero_grad(set_to_none=True)
        with torch.cpu.amp.autocast(enabled=bf16, dtype=torch.bfloat16):
            out = model(x)
        loss = F.cross_entropy(out.float(), y)
        loss.backward()
        opt.step()

    def timed(fn, n):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            fn()
        return time.perf_counter() - t0, time.process_time() - c0

    model.train()
    timed(train_step, warmup)
    t_train, c_train = timed(train_step, steps)
    model.eval()
    with torch.no_grad(), torch.cpu.amp.autocast(enabled=bf16, dtype=torch.bfloat16):
        timed(lambda: model(x), warmup)
        t_eval, c_eval = timed(lambda: model(x), steps)
    n = steps * batch
    print(json.dumps({"train_wall": n / t_train, "eval_wall": n / t_eval, "train": n / c_train * threads,
                      "eval": n / c_eval * threads, "rss": vm_hwm_mb(),
                      "threads_seen": len(os.listdir("/proc/self/task"))}))


def torch_isa():
    """oneDNN's instruction set inside PyTorch (its verbose info line), the
    kernel of a channels_last convolution, and ATen's own CPU capability."""
    code = ("import torch\n"
            "print([l for l in torch.__config__.show().splitlines() if 'CPU capability' in l][0].strip())\n"
            "cl = torch.channels_last\n"
            "torch.nn.functional.conv2d(torch.randn(8, 16, 16, 16).to(memory_format=cl),\n"
            "                           torch.randn(16, 16, 3, 3).to(memory_format=cl))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=dict(os.environ, DNNL_VERBOSE="1"))
    out = p.stdout + p.stderr
    isa = re.search(r"onednn_verbose,info,cpu,isa:([^\n]*)", out)
    conv = re.search(r"onednn_verbose,exec,cpu,convolution,([^,]*)", out)
    aten = next((l.strip() for l in p.stdout.splitlines() if "CPU capability" in l), "?")
    return (f"oneDNN isa: {isa.group(1).strip() if isa else '?'} (a channels_last conv: "
            f"{conv.group(1) if conv else '?'}); ATen {aten}")


def thread_env(threads):
    """Both sides get the same threads of every library: PyTorch's own
    set_num_threads covers its OpenMP team, not the OpenBLAS that Debian's
    build calls for linear layers, which would start a thread per core."""
    n = str(threads)
    return dict(os.environ, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n)


def run_torch(arch, inp, batch, threads, steps, warmup, layout, precision):
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", arch, inp, str(batch), str(threads),
           str(steps), str(warmup), layout, precision]
    p = subprocess.run(cmd, capture_output=True, text=True, env=thread_env(threads))
    if p.returncode != 0:
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---- the bdsweep side ------------------------------------------------------------------

def run_bdsweep(exe, arch, inp, batch, threads, steps, warmup, precision):
    cmd = [exe, "bench", "--arch", arch, "--batch", str(batch), "--input", inp, "--threads", str(threads),
           "--steps", str(steps), "--warmup", str(warmup), "--precision", precision]
    p = subprocess.run(cmd, capture_output=True, text=True, env=thread_env(threads))
    if p.returncode != 0:
        return None
    line = p.stdout.strip().splitlines()[-1]
    v = {k: val.strip('"') for k, val in re.findall(r'(\w+)=("[^"]*"|\S+)', line)}
    return {"train_wall": float(v["train_img_per_s"]), "eval_wall": float(v["eval_img_per_s"]),
            "train": float(v["train_cpu_img_per_s"]), "eval": float(v["eval_cpu_img_per_s"]),
            "rss": float(v["peak_rss_mb"]),
            "gflops": float(v["gflops"]), "eval_gflops": float(v.get("eval_gflops", "nan")), "isa": v["isa"],
            "threads_seen": v.get("threads_seen", "?"), "line": line}


def measure(args, arch, inp, batch, have_torch):
    """Every configuration --repeat times, alternating; the fastest training
    and evaluation of each (they may come from different runs), and the
    highest peak RSS (the memory a run needs is not luck)."""
    runs = {c: [] for c in CONFIGS}
    for _ in range(args.repeat):
        for c in CONFIGS:
            if c.startswith("bdsweep"):
                r = run_bdsweep(args.exe, arch, inp, batch, args.threads, args.steps, args.warmup, c.split()[1])
            else:
                _, layout, prec = c.split()
                r = run_torch(arch, inp, batch, args.threads, args.steps, args.warmup, layout.lower(), prec) \
                    if have_torch else None
            if r:
                runs[c].append(r)
    best = {}
    for c, rs in runs.items():
        if rs:
            if args.wall:  # rank by wall-clock rates
                for r in rs:
                    r["train"], r["eval"] = r["train_wall"], r["eval_wall"]
            best[c] = dict(max(rs, key=lambda r: r["train"]))
            for k in ("eval", "train_wall", "eval_wall"):
                best[c][k] = max(r[k] for r in rs)
            best[c]["rss"] = max(r["rss"] for r in rs)
    return best


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


def report(arch, inp, batch, best):
    print(f"\n{arch} {inp}, batch {batch}:")
    for c in CONFIGS:
        r = best.get(c)
        if not r:
            print(f"  {c:18s} not run")
            continue
        extra = f"  ({r['gflops']:.0f} GFLOP/s training, isa {r['isa']}, threads {r['threads_seen']})" \
            if c.startswith("bdsweep") else f"  (threads {r.get('threads_seen', '?')})"
        print(f"  {c:18s} train {r['train']:8.1f} img/s (wall {r['train_wall']:8.1f})   eval {r['eval']:8.1f} img/s "
              f"(wall {r['eval_wall']:8.1f})   peak RSS {r['rss']:6.0f} MB{extra}")
    g = lambda c, k: best.get(c, {}).get(k)
    print(f"  bdsweep fp32 / PyTorch cl fp32: train {ratio(g('bdsweep fp32', 'train'), g('PyTorch cl fp32', 'train'))}"
          f" eval {ratio(g('bdsweep fp32', 'eval'), g('PyTorch cl fp32', 'eval'))}"
          f"   bdsweep bf16 / PyTorch cl bf16: train {ratio(g('bdsweep bf16', 'train'), g('PyTorch cl bf16', 'train'))}"
          f" eval {ratio(g('bdsweep bf16', 'eval'), g('PyTorch cl bf16', 'eval'))}")


def table(rows):
    print("\n| model | input | batch | bdsweep fp32 train | PyTorch NCHW fp32 | PyTorch cl fp32 | ratio | bdsweep bf16 train "
          "| PyTorch cl bf16 | ratio | bdsweep fp32 eval | PyTorch cl fp32 eval | ratio | bdsweep bf16 eval "
          "| PyTorch cl bf16 eval | ratio | peak RSS MB: bdsweep fp32 / bf16, PyTorch cl fp32 / cl bf16 |")
    print("|" + "---|" * 18)
    for arch, inp, batch, b in rows:
        v = lambda c, k: b.get(c, {}).get(k)
        f = lambda x: f"{x:.0f}" if x else "-"
        print(f"| {arch} | {inp} | {batch} | {f(v('bdsweep fp32', 'train'))} | {f(v('PyTorch NCHW fp32', 'train'))} "
              f"| {f(v('PyTorch cl fp32', 'train'))} | {ratio(v('bdsweep fp32', 'train'), v('PyTorch cl fp32', 'train'))} "
              f"| {f(v('bdsweep bf16', 'train'))} | {f(v('PyTorch cl bf16', 'train'))} "
              f"| {ratio(v('bdsweep bf16', 'train'), v('PyTorch cl bf16', 'train'))} "
              f"| {f(v('bdsweep fp32', 'eval'))} | {f(v('PyTorch cl fp32', 'eval'))} "
              f"| {ratio(v('bdsweep fp32', 'eval'), v('PyTorch cl fp32', 'eval'))} "
              f"| {f(v('bdsweep bf16', 'eval'))} | {f(v('PyTorch cl bf16', 'eval'))} "
              f"| {ratio(v('bdsweep bf16', 'eval'), v('PyTorch cl bf16', 'eval'))} "
              f"| {f(v('bdsweep fp32', 'rss'))} / {f(v('bdsweep bf16', 'rss'))}, "
              f"{f(v('PyTorch cl fp32', 'rss'))} / {f(v('PyTorch cl bf16', 'rss'))} |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-worker":
        a = sys.argv[2:]
        torch_worker(a[0], a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), a[6], a[7])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="resnet20", help="arch value as in a sweep (default resnet20)")
    ap.add_argument("--input", default="3x32x32", help="CxHxW (default 3x32x32)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs of each configuration; the best counts")
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "bdsweep"))
    ap.add_argument("--table", action="store_true", help="the bench/README.md table (four models, batch 64)")
    ap.add_argument("--big", action="store_true", help="full-width ResNet-50 (cifar stem), batch 128")
    ap.add_argument("--wall", action="store_true", help="rank by wall-clock rates instead of CPU time")
    args = ap.parse_args()
    if not os.access(args.exe, os.X_OK):
        sys.exit(f"{args.exe} not found: build first (meson setup build && meson compile -C build)")
    try:
        import torch
        have_torch = True
        print(f"PyTorch {torch.__version__}: {torch_isa()}")
    except ImportError:
        have_torch = False
        print("PyTorch is not installed for this interpreter (use /usr/bin/python3): bdsweep only")
    print(subprocess.run([args.exe, "--version"], capture_output=True, text=True).stdout.strip().replace("\n", "; "))
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = (TABLE if args.table else []) + (BIG if args.big else [])
    if not rows:
        rows = [(args.arch, args.input, args.batch)]
    results = []
    for arch, inp, batch in rows:
        best = measure(args, arch, inp, batch, have_torch)
        report(arch, inp, batch, best)
        results.append((arch, inp, batch, best))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    if len(results) > 1:
        table(results)


if __name__ == "__main__":
    main()
