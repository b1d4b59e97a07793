/* The jobs rank 0 hands out, and their keys: one vocabulary for the
 * coordinator (which registers them, shows them, and decides what waits for
 * what) and the worker (which runs them).
 *
 *   cell      a point of the sweep grid with poisoned training data; its
 *             model is its own. Key: the cell key (common/cell.h)
 *             "dataset=... arch=... trigger=... poison_rate=0.05 seed=..."
 *   clean     a clean model (poison rate 0): it depends on every axis but
 *             the attack's (the axes table's attack and poisoning axes:
 *             trigger, strategy, target, poison rate), so it is trained once
 *             per seed and evaluated against every attack of the sweep — it
 *             is the model of every grid cell of rate 0 (and of a cell whose
 *             rate poisons no sample). Key: "clean dataset=... arch=...
 *             seed=..." (axes at their absent value left out)
 *   pretrain  a clean model that cells with init: pretrained fine-tune,
 *             trained once per dataset, architecture, seed and training
 *             setting; key: "pretrain dataset=... arch=... seed=... train=..."
 *             (every one of those axes written out, even at its default)
 *
 * The kind of a key is told by its prefix; the `kind` column of the
 * database's `cells` table holds the kind's name. An attack — the axes a
 * model is measured against, trigger, strategy and target — has a key of its
 * own too: "trigger=square strategy=one-to-one(source=3)" (bd_attack_key). */
#ifndef BD_JOB_H
#define BD_JOB_H

#include <stddef.h>

#include "cell.h"

typedef enum { BD_JOB_CELL, BD_JOB_CLEAN, BD_JOB_PRETRAIN, BD_JOB_KIND_COUNT } BdJobKind;

typedef struct BdJobKindDef {
    const char *name;   /* "cell", "clean", "pretrain" */
    const char *prefix; /* of its keys: "", "clean ", "pretrain " */
    const char *label;  /* for people: "cell", "clean model", "pre-training" */
    int all_written;    /* its key writes every one of its axes, defaults included */
} BdJobKindDef;

const BdJobKindDef *bd_job_kind_def(BdJobKind k);
/* The axes a kind's key holds (bit 1u << axis); the others are not part of
 * the job and are left at their absent value (or empty) when parsed. */
unsigned bd_job_kind_axes(const BdAxisDef *axes, BdJobKind k);
/* The kind of a key (by its prefix). */
BdJobKind bd_job_kind_of(const char *key);
/* The kind named name ("pretrain"), or -1. */
int bd_job_kind_index(const char *name);

typedef struct BdJob {
    BdJobKind kind;
    BdCell cell; /* the axes of the kind, resolved */
} BdJob;

/* Parses any job key. */
int bd_job_parse(const BdAxisDef *axes, const char *key, BdJob *job, BdError *err);
/* The key of a job from the canonical texts of its axes' values (texts[a]
 * for the axes of the kind; the others are not read). */
int bd_job_key(const BdAxisDef *axes, BdJobKind kind, const char *const *texts, char *out, size_t cap,
               BdError *err);

/* The key of the attack of a cell (its attack axes, those at their absent
 * value left out) from the canonical texts of its axis values. */
int bd_attack_key(const BdAxisDef *axes, const char *const *texts, char *out, size_t cap, BdError *err);
/* Parses an attack key into the attack axes of c (the other axes untouched). */
int bd_attack_parse(const BdAxisDef *axes, const char *key, BdCell *c, BdError *err);

#endif
