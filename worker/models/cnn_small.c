/* cnn-small: conv3x3(conv1, pad 1) ReLU maxpool2, conv3x3(conv2, pad 1) ReLU
 * maxpool2, flatten, fc1 ReLU [dropout], fc. Any input size of at least 4x4
 * (two 2x2 poolings) and any channel count. The PyTorch twin is CnnSmall in
 * python/bdsweep_models.py. */
#include "models.h"

static int build(const BdSpec *arch, BdShape in, int classes, int max_batch, BdGraph **out, BdError *err) {
    if (in.h < 4 || in.w < 4)
        return bd_fail(err, "cnn-small halves the image twice and needs inputs of at least 4x4; got %dx%dx%d", in.c,
                       in.h, in.w);
    const int c1 = (int)bd_spec_int(arch, "conv1"), c2 = (int)bd_spec_int(arch, "conv2");
    const int hidden = (int)bd_spec_int(arch, "fc");
    const float dropout = (float)bd_spec_float(arch, "dropout");
    BdGraph *g = bd_graph_new(in, max_batch);
    int x = bd_mix(g, bd_input(g), "mix_input");
    bd_graph_tag(g, x, "input");
    x = bd_maxpool(g, bd_relu(g, bd_conv(g, x, c1, 3, 1, 1, 1, 1, "conv1")), 2, 2, 0);
    x = bd_mix(g, x, "mix_stage1");
    bd_graph_tag(g, x, "stage1");
    x = bd_maxpool(g, bd_relu(g, bd_conv(g, x, c2, 3, 1, 1, 1, 1, "conv2")), 2, 2, 0);
    x = bd_mix(g, x, "mix_stage2");
    bd_graph_tag(g, x, "stage2");
    x = bd_relu(g, bd_linear(g, bd_flatten(g, x), hidden, "fc1"));
    /* The representation regularizers read is fc1's activation, before dropout's noise. */
    bd_graph_tag(g, x, "penultimate");
    if (dropout > 0.0f) x = bd_dropout(g, x, dropout);
    x = bd_linear(g, x, classes, BD_MODEL_HEAD);
    bd_graph_tag(g, x, "logits");
    bd_graph_set_output(g, x);
    *out = g;
    return 0;
}

const BdModelImpl bd_cnn_small_impl = {build};
