/* ResNets (He et al. 2016), named like torchvision's modules so that the
 * PyTorch twins in python/bdsweep_models.py share every parameter name:
 *   conv1 bn1 [maxpool] layerS.B.{conv1,bn1,conv2,bn2[,conv3,bn3]}
 *   layerS.B.downsample.{0,1} fc
 *
 * resnet20: the CIFAR ResNet. Shortcuts are "option B" (a 1x1 convolution +
 * BN projection wherever the shape changes, identity elsewhere), as in most
 * PyTorch CIFAR ports, rather than the paper's zero-padding option A: it is
 * the same projection as ResNet-50's and keeps one kind of block code.
 *
 * resnet50: bottleneck blocks (1x1 reduce, 3x3, 1x1 expand x4), the stride on
 * the 3x3 of the first block of stages 2.. (torchvision "v1.5"), the ImageNet
 * stem (7x7/2 conv, 3x3/2 max-pool) or the CIFAR stem (3x3/1 conv). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models.h"

static int conv_bn(BdGraph *g, int x, int out_c, int k, int stride, const char *conv, const char *bn) {
    return bd_bn(g, bd_conv(g, x, out_c, k, stride, k / 2, 1, 0, conv), bn);
}

/* The block's output shape differs from its input's: project the shortcut. */
static int shortcut(BdGraph *g, int x, int in_c, int out_c, int stride, const char *prefix) {
    if (stride == 1 && in_c == out_c) return x;
    char conv[BD_NAME_MAX], bn[BD_NAME_MAX];
    bd_name(conv, "%s.downsample.0", prefix);
    bd_name(bn, "%s.downsample.1", prefix);
    return conv_bn(g, x, out_c, 1, stride, conv, bn);
}

static int basic_block(BdGraph *g, int x, int in_c, int planes, int stride, const char *p) {
    char a[BD_NAME_MAX], b[BD_NAME_MAX];
    bd_name(a, "%s.conv1", p);
    bd_name(b, "%s.bn1", p);
    int o = bd_relu(g, conv_bn(g, x, planes, 3, stride, a, b));
    bd_name(a, "%s.conv2", p);
    bd_name(b, "%s.bn2", p);
    o = conv_bn(g, o, planes, 3, 1, a, b);
    return bd_relu(g, bd_add(g, o, shortcut(g, x, in_c, planes, stride, p)));
}

static int bottleneck(BdGraph *g, int x, int in_c, int planes, int stride, const char *p) {
    char a[BD_NAME_MAX], b[BD_NAME_MAX];
    bd_name(a, "%s.conv1", p);
    bd_name(b, "%s.bn1", p);
    int o = bd_relu(g, conv_bn(g, x, planes, 1, 1, a, b));
    bd_name(a, "%s.conv2", p);
    bd_name(b, "%s.bn2", p);
    o = bd_relu(g, conv_bn(g, o, planes, 3, stride, a, b));
    bd_name(a, "%s.conv3", p);
    bd_name(b, "%s.bn3", p);
    o = conv_bn(g, o, 4 * planes, 1, 1, a, b);
    return bd_relu(g, bd_add(g, o, shortcut(g, x, in_c, 4 * planes, stride, p)));
}

static int mix_point(BdGraph *g, int x, const char *tag) {
    char name[BD_NAME_MAX];
    bd_name(name, "mix_%s", tag);
    int m = bd_mix(g, x, name);
    bd_graph_tag(g, m, tag);
    return m;
}

/* GAP, the feature vector, the classifier. */
static int head(BdGraph *g, int x, int classes) {
    x = bd_gap(g, x);
    bd_graph_tag(g, x, "penultimate");
    x = bd_linear(g, x, classes, BD_MODEL_HEAD);
    bd_graph_tag(g, x, "logits");
    bd_graph_set_output(g, x);
    return x;
}

static int build_resnet20(const BdSpec *arch, BdShape in, int classes, int max_batch, BdGraph **out, BdError *err) {
    if (in.h < 4 || in.w < 4)
        return bd_fail(err, "resnet20 halves the image twice and needs inputs of at least 4x4; got %dx%dx%d", in.c,
                       in.h, in.w);
    const int blocks = (int)bd_spec_int(arch, "blocks"), width = (int)bd_spec_int(arch, "width");
    BdGraph *g = bd_graph_new(in, max_batch);
    int x = mix_point(g, bd_input(g), "input");
    x = bd_relu(g, conv_bn(g, x, width, 3, 1, "conv1", "bn1"));
    x = mix_point(g, x, "stage1");
    int in_c = width;
    for (int s = 0; s < 3; s++) {
        const int planes = width << s;
        for (int b = 0; b < blocks; b++) {
            char p[BD_NAME_MAX];
            bd_name(p, "layer%d.%d", s + 1, b);
            x = basic_block(g, x, in_c, planes, s > 0 && b == 0 ? 2 : 1, p);
            in_c = planes;
        }
        char tag[16];
        bd_name(tag, "stage%d", s + 2);
        x = mix_point(g, x, tag);
    }
    head(g, x, classes);
    *out = g;
    return 0;
}

#define RESNET50_MAX_STAGES 8

static int build_resnet50(const BdSpec *arch, BdShape in, int classes, int max_batch, BdGraph **out, BdError *err) {
    long depth[RESNET50_MAX_STAGES];
    const int stages = bd_spec_int_list(arch, "depth", depth, RESNET50_MAX_STAGES);
    if (stages < 1 || stages > RESNET50_MAX_STAGES)
        return bd_fail(err, "resnet50: depth has %d stages; 1 to %d are supported", stages, RESNET50_MAX_STAGES);
    const double width = bd_spec_float(arch, "width");
    const char *stem = bd_spec_str(arch, "stem");
    const int side = in.h > in.w ? in.h : in.w, small = in.h < in.w ? in.h : in.w;
    const int imagenet = !strcmp(stem, "imagenet") || (!strcmp(stem, "auto") && side > 64);
    const int halvings = (imagenet ? 2 : 0) + stages - 1;
    if (halvings < 30 && small < (1 << halvings))
        return bd_fail(err,
                       "resnet50 with the %s stem and %d stages halves the image %d times and needs inputs of at "
                       "least %dx%d; got %dx%dx%d%s",
                       imagenet ? "imagenet" : "cifar", stages, halvings, 1 << halvings, 1 << halvings, in.c, in.h,
                       in.w, imagenet ? " (stem=cifar needs less)" : "");
    BdGraph *g = bd_graph_new(in, max_batch);
    int x = mix_point(g, bd_input(g), "input");
    int in_c = (int)lround(64.0 * width);
    if (in_c < 1) in_c = 1;
    if (imagenet) {
        x = bd_relu(g, bd_bn(g, bd_conv(g, x, in_c, 7, 2, 3, 1, 0, "conv1"), "bn1"));
        x = bd_maxpool(g, x, 3, 2, 1);
    } else {
        x = bd_relu(g, conv_bn(g, x, in_c, 3, 1, "conv1", "bn1"));
    }
    x = mix_point(g, x, "stage1");
    for (int s = 0; s < stages; s++) {
        int planes = (int)lround(64.0 * (double)(1 << s) * width);
        if (planes < 1) planes = 1;
        for (int b = 0; b < depth[s]; b++) {
            char p[BD_NAME_MAX];
            bd_name(p, "layer%d.%d", s + 1, b);
            x = bottleneck(g, x, in_c, planes, s > 0 && b == 0 ? 2 : 1, p);
            in_c = 4 * planes;
        }
        char tag[16];
        bd_name(tag, "stage%d", s + 2);
        x = mix_point(g, x, tag);
    }
    head(g, x, classes);
    *out = g;
    return 0;
}

const BdModelImpl bd_resnet20_impl = {build_resnet20};
const BdModelImpl bd_resnet50_impl = {build_resnet50};
