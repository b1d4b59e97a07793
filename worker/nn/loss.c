/* Softmax cross-entropy over logits [K, n] (class-major: logit k of sample b
 * is at k*n + b), with hard labels or soft targets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn.h"

static int argmax_col(const float *z, int K, int n, int b) {
    int best = 0;
    for (int k = 1; k < K; k++)
        if (z[(size_t)k * n + b] > z[(size_t)best * n + b]) best = k;
    return best;
}

void bd_argmax(const float *logits, int K, int n, int *out) {
    for (int b = 0; b < n; b++) out[b] = argmax_col(logits, K, n, b);
}

/* loss_b = logsumexp(z_b) * sum_k t_k - sum_k t_k z_bk  (t one-hot for hard labels)
 * dloss_b/dz_bk = softmax_k * sum(t) - t_k */
float bd_softmax_xent(const float *logits, int K, int n, const int *labels, const float *soft, float *dlogits,
                      float scale, int *correct) {
    double total = 0.0;
    int right = 0;
    const float gscale = scale / (float)n;
    for (int b = 0; b < n; b++) {
        if (labels && (labels[b] < 0 || labels[b] >= K)) {
            fprintf(stderr, "bdsweep: engine: label %d of sample %d is not a class of 0..%d\n", labels[b], b, K - 1);
            abort();
        }
        double mx = logits[b];
        for (int k = 1; k < K; k++) mx = fmax(mx, logits[(size_t)k * n + b]);
        double se = 0.0;
        for (int k = 0; k < K; k++) se += exp(logits[(size_t)k * n + b] - mx);
        const double lse = mx + log(se);
        double tsum = 1.0, tz = 0.0;
        if (labels) {
            tz = logits[(size_t)labels[b] * n + b];
        } else {
            tsum = 0.0;
            for (int k = 0; k < K; k++) {
                tsum += soft[(size_t)k * n + b];
                tz += (double)soft[(size_t)k * n + b] * logits[(size_t)k * n + b];
            }
        }
        total += lse * tsum - tz;
        if (dlogits)
            for (int k = 0; k < K; k++) {
                const size_t i = (size_t)k * n + b;
                const double t = labels ? (k == labels[b]) : soft[i];
                dlogits[i] += gscale * (float)(exp(logits[i] - lse) * tsum - t);
            }
        const int pred = argmax_col(logits, K, n, b);
        if (labels ? pred == labels[b] : pred == argmax_col(soft, K, n, b)) right++;
    }
    if (correct) *correct = right;
    return (float)(total / n);
}
