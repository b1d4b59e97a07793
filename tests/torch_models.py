"""PyTorch twins of bdsweep's architectures (worker/models/), with the same
parameter and buffer names, so that weights, gradients and fixtures line up by
name. Used by tests/parity/make_fixtures.py and bench/compare_pytorch.py;
never by the test suite (which must not need PyTorch).

    /usr/bin/python3 -c "import sys; sys.path.insert(0, 'tests'); import torch_models"

`build(arch_text, in_shape, classes)` takes the same arch text as bdsweep
("resnet50(width=0.25,stem=cifar)") with the registry's defaults.
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


# name -> (class, {param: converter}); the defaults are the classes' own,
# which mirror worker/models/registry.c.
ARCHS = {
    "cnn-small": (CnnSmall, {"conv1": int, "conv2": int, "fc": int, "dropout": float}),
    "resnet20": (ResNet20, {"blocks": int, "width": int}),
    "resnet50": (ResNet50, {"depth": _int_list, "width": float, "stem": str}),
}


def build(arch_text, in_shape, classes):
    name, params = parse_arch(arch_text)
    if name not in ARCHS:
        raise KeyError(f"no PyTorch twin for {name!r} (known: {', '.join(ARCHS)})")
    cls, conv = ARCHS[name]
    kwargs = {k: conv[k](v) for k, v in params.items()}
    return cls(in_shape=tuple(in_shape), classes=classes, **kwargs)
