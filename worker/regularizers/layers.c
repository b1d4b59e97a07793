/* The tagged representations a regularizer's spec names, checked against the
 * model (models.h lists the tags every architecture provides). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_impl.h"

void bd_reg_tag_list(const BdGraph *g, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < g->n_nodes; i++) {
        if (!g->nodes[i].tag[0]) continue;
        int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", g->nodes[i].tag);
        if (w < 0 || (size_t)w >= cap - o) break;
        o += (size_t)w;
    }
}

int bd_reg_find_layer(const BdGraph *g, const char *tag, const char *who, BdError *err) {
    int node = bd_graph_find_tag(g, tag);
    if (node >= 0) return node;
    char tags[640];
    bd_reg_tag_list(g, tags, sizeof tags);
    return bd_fail(err, "layer '%s' (%s) is not a layer of this model; its layers are: %s", tag, who,
                   tags[0] ? tags : "(none)");
}

int bd_reg_find_layers(const BdGraph *g, const BdSpec *spec, const char *param, int **nodes, BdError *err) {
    char tag[BD_SPEC_VAL_MAX], who[64];
    snprintf(who, sizeof who, "in %s", param);
    int count = bd_spec_str_list(spec, param, 0, NULL, 0);
    int *out = bd_xmalloc((size_t)(count > 0 ? count : 1) * sizeof *out);
    for (int i = 0; i < count; i++) {
        bd_spec_str_list(spec, param, i, tag, sizeof tag);
        out[i] = bd_reg_find_layer(g, tag, who, err);
        if (out[i] < 0) {
            free(out);
            return -1;
        }
    }
    *nodes = out;
    return count;
}
