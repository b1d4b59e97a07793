"""PyTorch twins of bdsweep's architectures (worker/models/): modules with the
same parameter and buffer names, layouts and forward computation as bdsweep's
graphs, so that weights, gradients, fixtures and exported models line up by
name.

    import sys; sys.path.insert(0, "python")     # from the repository's root
    import bdsweep_models
    model = bdsweep_models.build("resnet50(width=0.25,stem=cifar)", (3, 32, 32), 10)

`build(arch_text, in_shape, classes)` takes the same arch text as a sweep file
or the cells.arch column, with the registry's defaults (worker/models/registry.c)
for the parameters it leaves out. python/load_safetensors.py loads a model
that `bdsweep export` wrote into these modules. Also used by
tests/parity/make_fixtures.py, tests/regularizers/torch_reference.py and
bench/compare_pytorch.py; never by the test suite's C tests (which must not
need PyTorch). PyTorch 1.13 (Debian's python3-torch) is enough.

`/usr/bin/python3 python/bdsweep_models.py` prints the NASNet-A parameter
counts that tests/models/test_nasnet.c checks the C graphs against.
"""
import re

import torch
import torch.nn as nn
import torch.nn.functional as F


class CnnSmall(nn.Module):
    """conv3x3 ReLU maxpool2, conv3x3 ReLU maxpool2, fc1 ReLU [dropout], fc."""

    def __init__(self, in_shape=(1, 28, 28), classes=10, conv1=32, conv2=64, fc=128, dropout=0.0):
        super().__init__()
        c, h, w = in_shape
        self.conv1 = nn.Conv2d(c, conv1, 3, padding=1)
        self.conv2 = nn.Conv2d(conv1, conv2, 3, padding=1)
        self.fc1 = nn.Linear(conv2 * (h // 2 // 2) * (w // 2 // 2), fc)
        self.drop = nn.Dropout(dropout) if dropout > 0 else None
        self.fc = nn.Linear(fc, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        if self.drop is not None:
            x = self.drop(x)
        return self.fc(x)


def conv_bn(in_c, out_c, k, stride):
    return nn.Conv2d(in_c, out_c, k, stride, k // 2, bias=False), nn.BatchNorm2d(out_c)


def projection(in_c, out_c, stride):
    """Option B shortcut: 1x1 conv + BN wherever the shape changes."""
    if stride == 1 and in_c == out_c:
        return None
    return nn.Sequential(*conv_bn(in_c, out_c, 1, stride))


class BasicBlock(nn.Module):
    def __init__(self, in_c, planes, stride):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(in_c, planes, 3, stride)
        self.conv2, self.bn2 = conv_bn(planes, planes, 3, 1)
        self.downsample = projection(in_c, planes, stride)

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = self.bn2(self.conv2(o))
        return F.relu(o + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    """torchvision v1.5: the stride on the 3x3."""

    def __init__(self, in_c, planes, stride):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(in_c, planes, 1, 1)
        self.conv2, self.bn2 = conv_bn(planes, planes, 3, stride)
        self.conv3, self.bn3 = conv_bn(planes, 4 * planes, 1, 1)
        self.downsample = projection(in_c, 4 * planes, stride)

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = F.relu(self.bn2(self.conv2(o)))
        o = self.bn3(self.conv3(o))
        return F.relu(o + (x if self.downsample is None else self.downsample(x)))


class ResNet20(nn.Module):
    def __init__(self, in_shape=(3, 32, 32), classes=10, blocks=3, width=16):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(in_shape[0], width, 3, 1)
        in_c = width
        for s in range(3):
            planes = width << s
            layer = []
            for b in range(blocks):
                layer.append(BasicBlock(in_c, planes, 2 if s > 0 and b == 0 else 1))
                in_c = planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*layer))
        self.stages = 3
        self.fc = nn.Linear(in_c, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class ResNet50(nn.Module):
    def __init__(self, in_shape=(3, 224, 224), classes=10, depth=(3, 4, 6, 3), width=1.0, stem="auto"):
        super().__init__()
        side = max(in_shape[1], in_shape[2])
        self.imagenet = stem == "imagenet" or (stem == "auto" and side > 64)
        in_c = max(1, round(64 * width))
        if self.imagenet:
            self.conv1 = nn.Conv2d(in_shape[0], in_c, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(in_c)
        else:
            self.conv1, self.bn1 = conv_bn(in_shape[0], in_c, 3, 1)
        for s, blocks in enumerate(depth):
            planes = max(1, round(64 * (1 << s) * width))
            layer = []
            for b in range(blocks):
                layer.append(Bottleneck(in_c, planes, 2 if s > 0 and b == 0 else 1))
                in_c = 4 * planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*layer))
        self.stages = len(depth)
        self.fc = nn.Linear(in_c, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if self.imagenet:
            x = F.max_pool2d(x, 3, 2, 1)
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))



# ---- NASNet-A ---------------------------------------------------------------
#
# NASNet-A (Zoph et al. 2018): the reference that worker/models/nasnet.c
# reproduces, parameter name for parameter name.
#
# Check against the published models: with the reference's imagenet stem width
# (32*stem_multiplier, the default here and in the C graph) this module has
# exactly the trainable parameters of Keras' NASNetMobile (5,289,978) and
# NASNetLarge (88,753,150), and with the BN moving statistics their totals
# 5,326,716 and 88,949,818 (the paper's 5.3M and 88.9M).
#
# Topology, as the paper describes it:
#   * every cell reads the outputs of the two previous cells, "newer" and "older";
#     (a) the older one is matched to the cell: a factorized reduction when its
#         spatial size differs from the newer one's, ReLU-1x1 conv-BN when only its
#         channel count differs from the cell's filters, nothing otherwise;
#     (b) the newer one goes through ReLU-1x1 conv-BN;
#     (c) five blocks, each the sum of two ops on two hidden states (0 = newer,
#         1 = older, 2.. = earlier blocks), the tables NORMAL_CELL / REDUCTION_CELL;
#     (d) the output concatenates the states of the table's output list.
#   * "sep kxk" = twice (ReLU -> depthwise kxk -> pointwise 1x1 -> BN), the
#     stride on the first depthwise; pools are 3x3 with padding 1, average pools
#     count_include_pad=False; in a reduction cell the ops that read states 0/1
#     have stride 2.
#   * stems: imagenet = 3x3/2 conv + BN, then two reduction cells with F/4 and F/2
#     filters; cifar = 3x3/1 conv + BN. Then 3 stacks of N normal cells, a
#     reduction cell between stacks, filters F, 2F, 4F. Then ReLU, global average
#     pool, dropout, linear "fc".
#
# Where the paper is silent we follow TensorFlow-slim's reference
# (models/research/slim/nets/nasnet/nasnet.py and nasnet_utils.py, the code
# the published NASNet-A weights come from; Keras' nasnet.py is a port of it):
#   * the factorized reduction starts with a ReLU (nasnet_utils._reduce_prev_layer
#     applies tf.nn.relu before factorized_reduction, as Keras' _adjust_block);
#     path 1 = 1x1 stride-2 conv of the input, path 2 = 1x1 stride-2 conv of the
#     input shifted by one pixel (x[h+1][w+1], zero past the edge); path 1 gets
#     floor(F/2) filters, path 2 ceil(F/2) (TF's final_filter_size); concat; BN.
#   * a cell with no older input (the first cell after the stem conv: the imagenet
#     stem's first reduction cell, or the first normal cell after a cifar stem)
#     uses the raw newer input as hidden state 1 (_reduce_prev_layer returns
#     curr_layer when prev_layer is None). That state may then have a channel
#     count other than the cell's filters, and TF adapts the ops that read it:
#     a sep conv's first pointwise maps any channel count to the filters (that
#     is how every sep conv is built), an identity becomes ReLU-1x1 conv-BN (also
#     when it has a stride), a pool is followed by 1x1 conv-BN (no ReLU), and an
#     output state whose channels differ is projected by 1x1 conv-BN (TF's
#     factorized_reduction with stride 1, no ReLU) before the concat.
#   * the imagenet stem conv is 3x3 stride 2 with no padding (TF padding='VALID');
#     the cifar stem conv is 3x3 stride 1 padding 1 ('SAME'). Convolutions have no
#     bias (biases_initializer=None in nasnet's arg scopes); fc has one.
#   * stem filters, as TF: 32 * stem_multiplier for the imagenet stem (32 for
#     Mobile, 96 for Large), stem_multiplier * F for the cifar stem;
#     `stem_filters=` overrides the width.
#   * stem cells use int(F/4) and int(F/2) filters (filter_scaling 1/4 and 1/2).
#   * skip_reduction_input (TF hparam skip_reduction_layer_input: 1 for Large,
#     0 for Mobile and CIFAR): the older input of the normal cell right after a
#     reduction cell is the cell two before the reduction instead of the one just
#     before it.
#   * padding: every kxk op pads k//2 on each side (PyTorch's symmetric padding,
#     not TF's 'SAME', which pads one more at the bottom/right on even sizes);
#     a stride-2 op on side s gives ceil(s/2), like the factorized reduction.
# Left out of the reference on purpose: drop-path (stochastic depth inside the
# cells), the auxiliary head, BN epsilon 1e-3 (we use PyTorch's and the engine's
# 1e-5), bounded activations.

# Blocks as (left op, left input, right op, right input); an op is (kind, k).
# States: 0 = newer input, 1 = older input, 2 + b = block b (0-based).
NORMAL_CELL = [
    (("sep", 5), 0, ("sep", 3), 1),
    (("sep", 5), 1, ("sep", 3), 1),
    (("avg", 3), 0, ("id", 1), 1),
    (("avg", 3), 1, ("avg", 3), 1),
    (("sep", 3), 0, ("id", 1), 0),
]
NORMAL_OUTPUT = [1, 2, 3, 4, 5, 6]  # input 1 and blocks 1-5

REDUCTION_CELL = [
    (("sep", 5), 0, ("sep", 7), 1),
    (("max", 3), 0, ("sep", 7), 1),
    (("avg", 3), 0, ("sep", 5), 1),
    (("id", 1), 3, ("avg", 3), 2),
    (("sep", 3), 2, ("max", 3), 0),
]
REDUCTION_OUTPUT = [3, 4, 5, 6]  # blocks 2-5

# The published presets (worker/models/registry.c has the same defaults).
PRESETS = {
    "nasnet-a-mobile": dict(cells=4, filters=44, stem="imagenet", stem_multiplier=1, skip_reduction_input=False),
    "nasnet-a-large": dict(cells=6, filters=168, stem="imagenet", stem_multiplier=3, skip_reduction_input=True),
    "nasnet-a-cifar": dict(cells=6, filters=32, stem="cifar", stem_multiplier=3, skip_reduction_input=False),
}


def half(s):
    return (s + 1) // 2


def shift(x):
    """y[h][w] = x[h+1][w+1], 0 past the edge (path 2 of the factorized reduction)."""
    return F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, stride, 0, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(F.relu(x)))


class ConvBN(nn.Module):
    """1x1 conv + BN with no ReLU: TF's projection after a pool or of an output state."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, 1, 0, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class FactorizedReduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.path1_conv = nn.Conv2d(cin, cout // 2, 1, 2, 0, bias=False)
        self.path2_conv = nn.Conv2d(cin, cout - cout // 2, 1, 2, 0, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu(x)
        return self.bn(torch.cat([self.path1_conv(x), self.path2_conv(shift(x))], 1))


class SepConv(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.depthwise_1 = nn.Conv2d(cin, cin, k, stride, k // 2, groups=cin, bias=False)
        self.pointwise_1 = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn_1 = nn.BatchNorm2d(cout)
        self.depthwise_2 = nn.Conv2d(cout, cout, k, 1, k // 2, groups=cout, bias=False)
        self.pointwise_2 = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn_2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = self.bn_1(self.pointwise_1(self.depthwise_1(F.relu(x))))
        return self.bn_2(self.pointwise_2(self.depthwise_2(F.relu(x))))


class Pool(nn.Module):
    def __init__(self, kind, cin, cout, stride):
        super().__init__()
        if kind == "avg":
            self.pool = nn.AvgPool2d(3, stride, 1, count_include_pad=False)
        else:
            self.pool = nn.MaxPool2d(3, stride, 1)
        self.proj = ConvBN(cin, cout) if cin != cout else None

    def forward(self, x):
        x = self.pool(x)
        return self.proj(x) if self.proj is not None else x


def make_op(op, cin, cout, stride):
    kind, k = op
    if kind == "sep":
        return SepConv(cin, cout, k, stride)
    if kind in ("avg", "max"):
        return Pool(kind, cin, cout, stride)
    if stride > 1 or cin != cout:  # identity
        return ReLUConvBN(cin, cout, stride)
    return nn.Identity()


class Cell(nn.Module):
    """newer, older: (c, h, w) of the inputs; older None = the cell has only one
    input, which then also serves as hidden state 1 unchanged (see the module doc)."""

    def __init__(self, reduction, newer, older, filters):
        super().__init__()
        self.reduction = reduction
        self.has_older = older is not None
        c1 = filters
        if older is None:
            c1 = newer[0]
        elif older[1:] != newer[1:]:
            self.prev_fr = FactorizedReduction(older[0], filters)
        elif older[0] != filters:
            self.prev_1x1 = ReLUConvBN(older[0], filters)
        else:
            c1 = older[0]
        self.conv_1x1 = ReLUConvBN(newer[0], filters)
        table = REDUCTION_CELL if reduction else NORMAL_CELL
        self.output = REDUCTION_OUTPUT if reduction else NORMAL_OUTPUT
        chans = [filters, c1] + [filters] * len(table)
        self.comb_iter = nn.ModuleList()
        for lop, li, rop, ri in table:
            block = nn.Module()
            block.left = make_op(lop, chans[li], filters, 2 if reduction and li < 2 else 1)
            block.right = make_op(rop, chans[ri], filters, 2 if reduction and ri < 2 else 1)
            self.comb_iter.append(block)
        self.output_proj = nn.ModuleDict(
            {str(i): ConvBN(chans[i], filters) for i in self.output if chans[i] != filters})
        self.out_channels = filters * len(self.output)
        self.out_shape = (self.out_channels, half(newer[1]), half(newer[2])) if reduction else \
            (self.out_channels, newer[1], newer[2])

    def forward(self, newer, older):
        if not self.has_older:
            s1 = newer
        elif hasattr(self, "prev_fr"):
            s1 = self.prev_fr(older)
        elif hasattr(self, "prev_1x1"):
            s1 = self.prev_1x1(older)
        else:
            s1 = older
        states = [self.conv_1x1(newer), s1]
        table = REDUCTION_CELL if self.reduction else NORMAL_CELL
        for (lop, li, rop, ri), block in zip(table, self.comb_iter):
            states.append(block.left(states[li]) + block.right(states[ri]))
        outs = [self.output_proj[str(i)](states[i]) if str(i) in self.output_proj else states[i]
                for i in self.output]
        return torch.cat(outs, 1)


class NASNetA(nn.Module):
    def __init__(self, cells=4, filters=44, stem="imagenet", stem_multiplier=1, dropout=0.0, classes=10,
                 in_shape=(3, 224, 224), skip_reduction_input=False, stem_filters=None):
        super().__init__()
        c, h, w = in_shape
        sf = stem_filters if stem_filters is not None else (32 * stem_multiplier if stem == "imagenet"
                                                             else stem_multiplier * filters)
        if stem == "imagenet":
            self.stem_conv = nn.Conv2d(c, sf, 3, 2, 0, bias=False)
            h, w = (h - 3) // 2 + 1, (w - 3) // 2 + 1
        else:
            self.stem_conv = nn.Conv2d(c, sf, 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(sf)
        # The graph: outs[i] is the (c, h, w) of output i; plan = (name, newer, older or None).
        shapes = [(sf, h, w)]
        self.plan = []

        def add(name, reduction, newer, older, f):
            cell = Cell(reduction, shapes[newer], None if older is None else shapes[older], f)
            setattr(self, name, cell)
            self.plan.append((name, newer, older))
            shapes.append(cell.out_shape)
            return len(shapes) - 1

        last, prev = 0, None
        if stem == "imagenet":
            last, prev = add("cell_stem_0", True, 0, None, filters // 4), 0
            last, prev = add("cell_stem_1", True, last, prev, filters // 2), last
        self.stage_outputs = [last]
        k = 0
        for s in range(3):
            if s > 0:
                before = prev
                last, prev = add("reduction_cell_%d" % (s - 1), True, last, prev, filters << s), last
                if skip_reduction_input:
                    prev = before
            for _ in range(cells):
                last, prev = add("cell_%d" % k, False, last, prev, filters << s), last
                k += 1
            self.stage_outputs.append(last)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(shapes[last][0], classes)
        self.shapes = shapes

    def forward(self, x):
        outs = [self.stem_bn(self.stem_conv(x))]
        for name, newer, older in self.plan:
            outs.append(getattr(self, name)(outs[newer], None if older is None else outs[older]))
        self.taps = {"stage%d" % (i + 1): outs[j] for i, j in enumerate(self.stage_outputs)}
        feats = F.adaptive_avg_pool2d(F.relu(outs[-1]), 1).flatten(1)
        self.taps["penultimate"] = feats
        return self.fc(self.drop(feats))


def nasnet(preset, classes=10, in_shape=(3, 224, 224), **overrides):
    """A preset of worker/models/registry.c with parameter overrides, e.g.
    nasnet("nasnet-a-mobile", cells=2, filters=16, in_shape=(3, 32, 32))."""
    cfg = dict(PRESETS[preset])
    cfg.update(overrides)
    return NASNetA(classes=classes, in_shape=in_shape, **cfg)


def _preset(name):
    def make(in_shape=(3, 224, 224), classes=10, **overrides):
        return nasnet(name, classes=classes, in_shape=in_shape, **overrides)
    return make


def _bool(v):
    return v in (True, "true", "True", "1", "yes")


_NASNET_PARAMS = {"cells": int, "filters": int, "stem": str, "stem_multiplier": int, "dropout": float,
                  "skip_reduction_input": _bool}


def parse_arch(text):
    """'resnet50(width=0.25,depth=[1,1])' -> ('resnet50', {'width': '0.25', 'depth': '[1,1]'})"""
    m = re.fullmatch(r"\s*([\w-]+)\s*(?:\((.*)\))?\s*", text)
    if not m:
        raise ValueError(f"cannot parse arch {text!r}")
    params, body = {}, m.group(2) or ""
    for kv in re.findall(r"(\w+)=(\[[^\]]*\]|[^,]+)", body):
        params[kv[0]] = kv[1]
    return m.group(1), params


def _int_list(v):
    return tuple(int(t) for t in v.strip("[]").split(",") if t.strip())


# name -> (constructor, {param: converter of its text}); the defaults are the
# constructors' own, which mirror worker/models/registry.c.
ARCHS = {
    "cnn-small": (CnnSmall, {"conv1": int, "conv2": int, "fc": int, "dropout": float}),
    "resnet20": (ResNet20, {"blocks": int, "width": int}),
    "resnet50": (ResNet50, {"depth": _int_list, "width": float, "stem": str}),
}
ARCHS.update({name: (_preset(name), _NASNET_PARAMS) for name in PRESETS})


def build(arch_text, in_shape, classes):
    name, params = parse_arch(arch_text)
    if name not in ARCHS:
        raise KeyError(f"no PyTorch twin for {name!r} (known: {', '.join(ARCHS)})")
    cls, conv = ARCHS[name]
    kwargs = {k: conv[k](v) for k, v in params.items()}
    return cls(in_shape=tuple(in_shape), classes=classes, **kwargs)


def count(model):
    return sum(p.numel() for p in model.parameters())


def count_bn_buffers(model):
    return sum(m.running_mean.numel() + m.running_var.numel() for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="NASNet-A parameter counts (1000 classes, 3x224x224 unless told)")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    for name in ("nasnet-a-mobile", "nasnet-a-large"):
        m = nasnet(name, classes=args.classes, in_shape=(3, args.size, args.size))
        ref = nasnet(name, classes=args.classes, in_shape=(3, args.size, args.size),
                     stem_filters=32 * PRESETS[name]["stem_multiplier"])
        print("%s: %d trainable parameters (stem conv %d filters); with the TF stem of %d filters: "
              "%d trainable, %d with BN running statistics"
              % (name, count(m), m.stem_conv.out_channels, ref.stem_conv.out_channels, count(ref),
                 count(ref) + count_bn_buffers(ref)))
