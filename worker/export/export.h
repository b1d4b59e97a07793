/* Models out: the model a checkpoint holds, as a safetensors file that
 * PyTorch loads into the twin module of python/bdsweep_models.py
 * (python/load_safetensors.py: load_model).
 *
 * The file holds every parameter and every buffer of the graph (BN running
 * means and variances) under the graph's names, which are the twin's
 * state_dict names, in the twin's layouts (conv [Cout, Cin/groups, KH, KW],
 * linear [Out, In]), float32. The twin's BatchNorm2d modules also have a
 * num_batches_tracked buffer, which the engine does not count: it is left
 * out, and load_state_dict(strict=True) accepts that (PyTorch fills it with
 * 0 for a state_dict without version metadata, and only BN with
 * momentum=None reads it).
 *
 * Metadata (strings, as the format requires):
 *   format           "pt" (what Hugging Face's tools write for PyTorch state_dicts)
 *   bdsweep_version  the version of the bdsweep that exported it
 *   arch             the architecture with every parameter (cells.arch):
 *                    "resnet20(blocks=3,width=16)"
 *   input            CxHxW of one sample ("3x32x32"), classes: the output count
 *   phase, epochs    what the checkpoint says it holds: the phase it was
 *                    written in (train = the main phase, retrain, pretrain)
 *                    and how many of that phase's epochs were complete
 * plus whatever the caller adds (the cell's key, ...).
 *
 * The steps are separate so that a caller can tell a bad input (exit 2)
 * from a failed write (exit 1):
 *     BdExportModel m;
 *     if (bd_export_load(&m, "results/x.ckpt/main-....ckpt", &arch, (BdShape){1, 28, 28}, 10, &err) < 0) ...
 *     BdStMeta cell = {"cell", key};
 *     rc = bd_export_write(&m, &cell, 1, "model.safetensors", &err);
 *     bd_export_free(&m); */
#ifndef BD_EXPORT_H
#define BD_EXPORT_H

#include "nn.h"
#include "safetensors.h"
#include "spec.h"

typedef struct BdExportModel {
    BdGraph *g;                  /* the architecture with the checkpoint's weights and buffers */
    char arch[BD_SPEC_TEXT_MAX]; /* full text, every parameter given */
    BdShape input;
    int classes;
    char phase[32];
    int epochs;
} BdExportModel;

/* Builds the architecture (a resolved arch spec) for the input shape and
 * class count and loads a checkpoint written by bd_cell_ckpt_save (every
 * checkpoint a cell or pre-training job leaves) into it. The checkpoint
 * refuses another architecture, shape or class count, naming the one it was
 * saved for. On error *m is empty (bd_export_free is still safe). */
int bd_export_load(BdExportModel *m, const char *ckpt_path, const BdSpec *arch, BdShape input, int classes,
                   BdError *err);
void bd_export_free(BdExportModel *m);

/* The metadata keys bd_export_write fills itself, NULL-terminated. */
extern const char *const bd_export_meta_keys[];

/* Writes m with the metadata above and extra[0..n_extra) after it; an extra
 * key that repeats one of the fixed ones is refused. */
int bd_export_write(const BdExportModel *m, const BdStMeta *extra, int n_extra, const char *out_path, BdError *err);

/* Every parameter and buffer of a finalized graph under its name, with
 * exactly the given metadata (what bd_export_write builds on). */
int bd_export_graph(const BdGraph *g, const BdStMeta *meta, int n_meta, const char *out_path, BdError *err);

#endif
