/* NASNet-A with the nn.h builder. Node for node and name for name the network
 * of NASNetA in python/bdsweep_models.py (read its section comment for the
 * topology and for which TF-slim detail each open choice follows); weights
 * move between the two by parameter name.
 *
 * Reductions. The imagenet stem reduces 4 times (3x3/2 conv, then 2 stem
 * reduction cells) before the 2 reductions between stacks, the cifar stem
 * only those 2; every reduction maps a side s to ceil(s/2) and needs s >= 2
 * (of a 1x1 map the factorized reduction's shifted path reads only padding),
 * so the smallest inputs are 19x19 (imagenet stem: 9, 5, 3, 2, 1) and 3x3
 * (cifar). The last stack may be 1x1: NASNet-A Mobile at 32x32 is.
 *
 * Mixing points. "stage1".."stage4" are MIX nodes on the output of the stem
 * and of each stack. A NASNet cell reads the two previous outputs, so two
 * states cross a boundary: the newest output and the one before it (the stem
 * cell 0 output after the imagenet stem, the next-to-last cell of a stack).
 * The older one goes through its own MIX node, tagged "stage<k>.prev" and
 * joined to "stage<k>" by bd_mix_with, so that mixing at a boundary mixes
 * every state that crosses it with the same lambda and permutation. Where
 * only one state crosses ("input", "stage1" of the cifar stem, "stage4" read
 * only by the classifier) there is no ".prev" node. */
#include "nasnet.h"

#include <stdio.h>
#include <string.h>


typedef enum { OP_SEP, OP_AVG, OP_MAX, OP_ID } OpKind;

typedef struct Op {
    OpKind kind;
    int k;     /* kernel of a sep conv */
    int state; /* 0 = newer input, 1 = older input, 2 + b = block b */
} Op;

typedef struct CellTable {
    Op left[5], right[5];
    int out[6], n_out; /* the states concatenated into the output */
} CellTable;

/* docs/EXPERIMENT.md section 5, blocks 1-5 in order. */
static const CellTable normal_cell = {
    .left = {{OP_SEP, 5, 0}, {OP_SEP, 5, 1}, {OP_AVG, 3, 0}, {OP_AVG, 3, 1}, {OP_SEP, 3, 0}},
    .right = {{OP_SEP, 3, 1}, {OP_SEP, 3, 1}, {OP_ID, 1, 1}, {OP_AVG, 3, 1}, {OP_ID, 1, 0}},
    .out = {1, 2, 3, 4, 5, 6},
    .n_out = 6,
};

static const CellTable reduction_cell = {
    .left = {{OP_SEP, 5, 0}, {OP_MAX, 3, 0}, {OP_AVG, 3, 0}, {OP_ID, 1, 3}, {OP_SEP, 3, 2}},
    .right = {{OP_SEP, 7, 1}, {OP_SEP, 7, 1}, {OP_SEP, 5, 1}, {OP_AVG, 3, 2}, {OP_MAX, 3, 0}},
    .out = {3, 4, 5, 6},
    .n_out = 4,
};

/* "prefix.suffix" into buf (BD_NAME_MAX bytes): a PyTorch module path. */
static const char *path(char *buf, const char *prefix, const char *suffix) {
    return bd_name(buf, "%s.%s", prefix, suffix);
}

static BdShape shape_of(const BdGraph *g, int x) { return g->nodes[x].shape; }

/* [Cin,N,H,W] -> [out_c,N,H/stride,W/stride]: 1x1 conv (stride) + BN, with a
 * ReLU first when relu is set. Module `name` with children conv, bn. */
static int conv_bn_1x1(BdGraph *g, int x, int out_c, int stride, int relu, const char *name) {
    char buf[BD_NAME_MAX];
    if (relu) x = bd_relu(g, x);
    x = bd_conv(g, x, out_c, 1, stride, 0, 1, 0, path(buf, name, "conv"));
    return bd_bn(g, x, path(buf, name, "bn"));
}

/* [Cin,N,H,W] -> [out_c,N,ceil(H/2),ceil(W/2)]: ReLU, then path 1 = 1x1/2 conv
 * of x, path 2 = 1x1/2 conv of x shifted by one pixel, floor and ceil of
 * out_c/2 filters, concatenated, BN. */
static int factorized_reduction(BdGraph *g, int x, int out_c, const char *name) {
    char buf[BD_NAME_MAX];
    x = bd_relu(g, x);
    int paths[2];
    paths[0] = bd_conv(g, x, out_c / 2, 1, 2, 0, 1, 0, path(buf, name, "path1_conv"));
    paths[1] = bd_conv(g, bd_shift(g, x), out_c - out_c / 2, 1, 2, 0, 1, 0, path(buf, name, "path2_conv"));
    return bd_bn(g, bd_concat(g, paths, 2), path(buf, name, "bn"));
}

/* [Cin,N,H,W] -> [out_c,N,H/stride,W/stride]: twice ReLU -> depthwise kxk ->
 * pointwise 1x1 -> BN, the stride on the first depthwise. */
static int sep_conv(BdGraph *g, int x, int out_c, int k, int stride, const char *name) {
    char buf[BD_NAME_MAX];
    for (int i = 1; i <= 2; i++) {
        char part[32];
        int c = shape_of(g, x).c;
        x = bd_relu(g, x);
        bd_name(part, "depthwise_%d", i);
        x = bd_conv(g, x, c, k, i == 1 ? stride : 1, k / 2, c, 0, path(buf, name, part));
        bd_name(part, "pointwise_%d", i);
        x = bd_conv(g, x, out_c, 1, 1, 0, 1, 0, path(buf, name, part));
        bd_name(part, "bn_%d", i);
        x = bd_bn(g, x, path(buf, name, part));
    }
    return x;
}

/* One op of a block, producing `filters` channels. An op reading a state of
 * another width adapts as TF-slim's _apply_conv_operation does: a pool gets a
 * 1x1 conv-BN after it, an identity becomes ReLU-1x1 conv-BN (so does an
 * identity with a stride). */
static int apply_op(BdGraph *g, const Op *op, int x, int filters, int stride, const char *name) {
    char buf[BD_NAME_MAX];
    int c = shape_of(g, x).c;
    switch (op->kind) {
    case OP_SEP:
        return sep_conv(g, x, filters, op->k, stride, name);
    case OP_AVG:
    case OP_MAX:
        x = op->kind == OP_AVG ? bd_avgpool(g, x, 3, stride, 1, 0) : bd_maxpool(g, x, 3, stride, 1);
        return c == filters ? x : conv_bn_1x1(g, x, filters, 1, 0, path(buf, name, "proj"));
    case OP_ID:
        return stride > 1 || c != filters ? conv_bn_1x1(g, x, filters, stride, 1, name) : x;
    }
    return x;
}

/* One cell: newer, older -> [n_out * filters, N, H', W'] with H' = H (normal)
 * or ceil(H/2) (reduction). older = -1: the cell has one input, which is
 * also hidden state 1 unchanged (TF's _reduce_prev_layer with no prev_layer). */
static int add_cell(BdGraph *g, const char *name, int reduction, int newer, int older, int filters) {
    const CellTable *t = reduction ? &reduction_cell : &normal_cell;
    char buf[BD_NAME_MAX];
    int states[7];
    BdShape sn = shape_of(g, newer);

    /* (a) the older input matched to the cell */
    if (older < 0) {
        states[1] = newer;
    } else {
        BdShape so = shape_of(g, older);
        if (so.h != sn.h || so.w != sn.w) states[1] = factorized_reduction(g, older, filters, path(buf, name, "prev_fr"));
        else if (so.c != filters) states[1] = conv_bn_1x1(g, older, filters, 1, 1, path(buf, name, "prev_1x1"));
        else states[1] = older;
    }
    /* (b) the newer input */
    states[0] = conv_bn_1x1(g, newer, filters, 1, 1, path(buf, name, "conv_1x1"));

    /* (c) five blocks */
    for (int b = 0; b < 5; b++) {
        const Op *ops[2] = {&t->left[b], &t->right[b]};
        const char *side[2] = {"left", "right"};
        int y[2];
        for (int i = 0; i < 2; i++) {
            char opname[BD_NAME_MAX];
            bd_name(opname, "%s.comb_iter.%d.%s", name, b, side[i]);
            int stride = reduction && ops[i]->state < 2 ? 2 : 1;
            y[i] = apply_op(g, ops[i], states[ops[i]->state], filters, stride, opname);
        }
        states[2 + b] = bd_add(g, y[0], y[1]);
    }

    /* (d) the output; a state of another width is projected (TF's
     * _combine_unused_states: factorized_reduction with stride 1 = conv-BN) */
    int outs[6];
    for (int i = 0; i < t->n_out; i++) {
        int s = states[t->out[i]];
        if (shape_of(g, s).c != filters) {
            char proj[BD_NAME_MAX];
            bd_name(proj, "%s.output_proj.%d", name, t->out[i]);
            s = conv_bn_1x1(g, s, filters, 1, 0, proj);
        }
        outs[i] = s;
    }
    return bd_concat(g, outs, t->n_out);
}

void bd_nasnet_config(const BdSpec *arch, BdNasnetConfig *cfg) {
    cfg->cells = (int)bd_spec_int(arch, "cells");
    cfg->filters = (int)bd_spec_int(arch, "filters");
    cfg->imagenet_stem = !strcmp(bd_spec_str(arch, "stem"), "imagenet");
    /* TF-slim's widths (nasnet.py): the ImageNet stem conv has 32 *
     * stem_multiplier filters (32 for Mobile, 96 for Large), the CIFAR stem
     * stem_multiplier * F; with them the parameter counts are the published
     * models' exactly. */
    int mult = (int)bd_spec_int(arch, "stem_multiplier");
    cfg->stem_filters = cfg->imagenet_stem ? 32 * mult : mult * cfg->filters;
    cfg->skip_reduction_input = bd_spec_bool(arch, "skip_reduction_input");
    cfg->dropout = (float)bd_spec_float(arch, "dropout");
}

static int check_filters(const BdNasnetConfig *cfg, const char *arch, BdError *err) {
    if (cfg->imagenet_stem && cfg->filters < 4)
        return bd_fail(err,
                       "%s: filters=%d is too small for the imagenet stem, whose two reduction cells have "
                       "filters/4 and filters/2 filters; expected filters >= 4 (or stem=cifar)",
                       arch, cfg->filters);
    return 0;
}

int bd_nasnet_check(const BdSpec *arch, BdError *err) {
    BdNasnetConfig cfg;
    bd_nasnet_config(arch, &cfg);
    return check_filters(&cfg, arch->name, err);
}

/* Whether an input side survives the stem and every reduction: each reduction
 * halves the side (rounding up) and needs at least 2 pixels to halve (of a
 * 1x1 map the factorized reduction's shifted path would read only padding).
 * On failure *failed_at is the 1-based reduction that got *side_at pixels
 * (0: the stem convolution did not fit). */
static int side_fits(const BdNasnetConfig *cfg, int side, int *failed_at, int *side_at) {
    int reductions = cfg->imagenet_stem ? 4 : 2;
    *failed_at = 0;
    if (cfg->imagenet_stem) {
        if (side < 3) return 0;
        side = (side - 3) / 2 + 1;
    }
    for (int r = 1; r <= reductions; r++) {
        if (side < 2) {
            *failed_at = r;
            *side_at = side;
            return 0;
        }
        side = (side + 1) / 2;
    }
    return 1;
}

static int check_input(const BdNasnetConfig *cfg, BdShape in, const char *arch, BdError *err) {
    int at = 0, side_at = 0;
    const char *how = cfg->imagenet_stem ? "the 3x3/2 stem convolution, 2 stem reduction cells and 2 reduction "
                                           "cells between stacks"
                                         : "the 2 reduction cells between stacks";
    for (int d = 0; d < 2; d++) {
        int side = d ? in.w : in.h;
        if (side_fits(cfg, side, &at, &side_at)) continue;
        int need = 1, need_at, need_side; /* the smallest side that fits */
        while (!side_fits(cfg, need, &need_at, &need_side)) need++;
        if (!at)
            return bd_fail(err, "%s: a %dx%dx%d input is too small for the 3x3/2 stem convolution; expected height and "
                                "width of at least %d pixels",
                           arch, in.c, in.h, in.w, need);
        return bd_fail(err,
                       "%s: a %dx%dx%d input is too small: %s halve the %s (rounding up), and reduction %d would get "
                       "a side of %d pixel; expected height and width of at least %d pixels",
                       arch, in.c, in.h, in.w, how, d ? "width" : "height", at, side_at, need);
    }
    return 0;
}

/* A MIX node carrying a tag (named after it), for manifold mixup. */
static int mix_point(BdGraph *g, int x, const char *tag) {
    char buf[BD_NAME_MAX];
    bd_name(buf, "mix_%s", tag);
    int m = bd_mix(g, x, buf);
    bd_graph_tag(g, m, tag);
    return m;
}

/* The older state crossing the boundary whose MIX node is head: a MIX node
 * that mixes together with it, tagged "<head's tag>.prev". */
static int mix_prev(BdGraph *g, int x, int head) {
    char tag[BD_NAME_MAX], name[BD_NAME_MAX];
    bd_name(tag, "%s.prev", g->nodes[head].tag);
    bd_name(name, "mix_%s_prev", g->nodes[head].tag);
    int m = bd_mix_with(g, x, head, name);
    bd_graph_tag(g, m, tag);
    return m;
}

int bd_nasnet_add(BdGraph *g, const BdNasnetConfig *cfg, const char *arch, int classes, BdError *err) {
    if (check_filters(cfg, arch, err) < 0 || check_input(cfg, g->input, arch, err) < 0) return -1;
    int x = mix_point(g, bd_input(g), "input");
    /* stem: imagenet 3x3/2 conv, no padding (TF 'VALID'); cifar 3x3/1, padding 1 */
    x = bd_conv(g, x, cfg->stem_filters, 3, cfg->imagenet_stem ? 2 : 1, cfg->imagenet_stem ? 0 : 1, 1, 0,
                "stem_conv");
    x = bd_bn(g, x, "stem_bn");

    /* last = the newest cell output, prev = the one before (-1: none yet) */
    int last = x, prev = -1;
    if (cfg->imagenet_stem) {
        last = add_cell(g, "cell_stem_0", 1, x, -1, cfg->filters / 4);
        prev = x;
        int next = add_cell(g, "cell_stem_1", 1, last, prev, cfg->filters / 2);
        prev = last;
        last = next;
    }
    last = mix_point(g, last, "stage1");
    if (prev >= 0) prev = mix_prev(g, prev, last);

    char name[BD_NAME_MAX];
    int k = 0;
    for (int s = 0; s < 3; s++) {
        int filters = cfg->filters << s;
        if (s > 0) {
            bd_name(name, "reduction_cell_%d", s - 1);
            int before = prev;
            int red = add_cell(g, name, 1, last, prev, filters);
            prev = cfg->skip_reduction_input ? before : last;
            last = red;
        }
        for (int i = 0; i < cfg->cells; i++, k++) {
            bd_name(name, "cell_%d", k);
            int next = add_cell(g, name, 0, last, prev, filters);
            prev = last;
            last = next;
        }
        bd_name(name, "stage%d", s + 2);
        last = mix_point(g, last, name);
        if (s < 2) prev = mix_prev(g, prev, last); /* after the last stack only the classifier reads on */
    }

    x = bd_gap(g, bd_relu(g, last));
    bd_graph_tag(g, x, "penultimate");
    if (cfg->dropout > 0) x = bd_dropout(g, x, cfg->dropout);
    x = bd_linear(g, x, classes, BD_MODEL_HEAD);
    bd_graph_tag(g, x, "logits");
    bd_graph_set_output(g, x);
    return 0;
}

static int build(const BdSpec *arch, BdShape input, int classes, int max_batch, BdGraph **out, BdError *err) {
    BdNasnetConfig cfg;
    bd_nasnet_config(arch, &cfg);
    BdGraph *g = bd_graph_new(input, max_batch);
    if (bd_nasnet_add(g, &cfg, arch->name, classes, err) < 0) {
        bd_graph_free(g);
        return -1;
    }
    *out = g;
    return 0;
}

const BdModelImpl bd_nasnet_impl = {build};
