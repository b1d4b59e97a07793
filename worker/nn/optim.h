/* SGD with momentum and weight decay, exactly PyTorch's torch.optim.SGD:
 *     g = grad + weight_decay * w            (only for params with decay)
 *     v = momentum * v + g                   (v starts at g on the first step)
 *     d = nesterov ? g + momentum * v : v
 *     w = w - lr * d
 * plus gradient-norm clipping (torch.nn.utils.clip_grad_norm_) and a mask of
 * trainable parameters (fine-tuning the head only). */
#ifndef BD_OPTIM_H
#define BD_OPTIM_H

#include "nn.h"

typedef struct BdSgd {
    float momentum, weight_decay;
    int nesterov;
    float *velocity;       /* [n_params] */
    unsigned char *frozen; /* [n_param_info]: 1 = not updated */
    unsigned char *started; /* [n_param_info]: the tensor's momentum buffer exists (PyTorch creates it at the
                               tensor's first update, as a copy of that gradient) */
    int n_tensors;
    long steps;
} BdSgd;

void bd_sgd_init(BdSgd *o, const BdGraph *g, float momentum, float weight_decay, int nesterov);
void bd_sgd_free(BdSgd *o);
/* Freezes every parameter tensor except those whose name starts with one of
 * the prefixes (NULL-terminated); with prefixes NULL every tensor trains. */
void bd_sgd_train_only(BdSgd *o, const BdGraph *g, const char *const *prefixes);
/* Global L2 norm of the trainable gradients. */
double bd_grad_norm(const BdSgd *o, const BdGraph *g);
/* Scales gradients so that their norm is at most max_norm (no-op if <= 0).
 * Returns the norm before clipping. */
double bd_clip_grad_norm(const BdSgd *o, BdGraph *g, double max_norm);
void bd_sgd_step(BdSgd *o, BdGraph *g, float lr);

#endif
