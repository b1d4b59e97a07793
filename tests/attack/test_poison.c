/* Strategies and poisoning: exact counts, pools, labels, untouched samples,
 * pool-too-small errors, rate 0, rounding, determinism, ASR eligibility. */
#include "../data/testfs.h"
#include "attack.h"
#include "check.h"
#include "dataset.h"

enum { N = 1000, C = 10, SIDE = 8 };

static BdDataset data;       /* the clean split, kept for comparisons */
static const BdDataShape shape = {1, SIDE, SIDE, C};

static void load_data(void) {
    BdSpec s;
    BdError err = {0};
    CHECK(tfs_spec(&s, bd_dataset_presets, "synthetic", &err, "classes", "10", "channels", "1", "size", "8", "train",
                   "1000", "test", "10", NULL) == 0);
    CHECK_MSG(bd_dataset_load(&s, &data, &err) == 0, "%s", err.msg);
    /* Round-robin labels: 100 of each class. A white corner would be
     * invisible on a sample whose corner is already white; make it dark. */
    for (int i = 0; i < N; i++)
        for (int q = 0; q < SIDE * SIDE; q++)
            if (data.train.x[i * SIDE * SIDE + q] == 255) data.train.x[i * SIDE * SIDE + q] = 254;
}

static BdSplit copy_split(void) {
    BdSplit s = {N, malloc(N * SIDE * SIDE), malloc(N * sizeof(int))};
    memcpy(s.x, data.train.x, N * SIDE * SIDE);
    memcpy(s.y, data.train.y, N * sizeof(int));
    return s;
}

static void free_split(BdSplit *s) {
    free(s->x);
    free(s->y);
}

static BdTrigger *square(const char *location) {
    BdSpec s;
    BdError err = {0};
    BdTrigger *t = NULL;
    CHECK(tfs_spec(&s, bd_trigger_presets, "square", &err, "size", "2", "location", location, NULL) == 0);
    CHECK_MSG(bd_trigger_make(&s, shape, 0, &t, &err) == 0, "%s", err.msg);
    return t;
}

static void strategy(BdSpec *s, const char *name, const char *source) {
    BdError err = {0};
    if (source) CHECK(tfs_spec(s, bd_strategy_presets, name, &err, "source", source, NULL) == 0);
    else CHECK(tfs_spec(s, bd_strategy_presets, name, &err, NULL) == 0);
}

/* Whether sample i carries the bottom-right 2x2 white square. */
static int triggered(const BdSplit *s, int i) {
    const uint8_t *x = s->x + (size_t)i * SIDE * SIDE;
    return x[6 * 8 + 6] == 255 && x[6 * 8 + 7] == 255 && x[7 * 8 + 6] == 255 && x[7 * 8 + 7] == 255;
}

typedef struct {
    const char *name, *source;
    int pool;
    int (*in_pool)(int y);
    int (*label)(int y);
} Case;

static int not3(int y) { return y != 3; }
static int is5(int y) { return y == 5; }
static int any(int y) { return (void)y, 1; }
static int is3(int y) { return y == 3; }
static int to3(int y) { return (void)y, 3; }
static int next(int y) { return (y + 1) % C; }
static int same(int y) { return y; }

static void test_strategies(void) {
    const Case cases[] = {
        {"all-to-one", NULL, 900, not3, to3},
        {"one-to-one", "5", 100, is5, to3},
        {"all-to-all", NULL, 1000, any, next},
        {"clean-label", NULL, 100, is3, same},
    };
    BdTrigger *t = square("bottom-right");
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        BdSpec s;
        strategy(&s, cases[k].name, cases[k].source);
        BdSplit split = copy_split();
        BdRng rng;
        bd_rng_seed(&rng, 11);
        BdPoisonReport rep;
        BdError err = {0};
        CHECK_MSG(bd_poison(&s, 3, 0.05, t, &split, shape, &rng, NULL, &rep, &err) == 0, "%s", err.msg);
        CHECK_MSG(rep.pool == cases[k].pool && rep.poisoned == 50, "%s: pool %d, poisoned %d", cases[k].name, rep.pool,
                  rep.poisoned);
        char *chosen = calloc(N, 1);
        for (int j = 0; j < rep.poisoned; j++) {
            int i = rep.indices[j];
            CHECK(i >= 0 && i < N);
            if (j) CHECK(rep.indices[j - 1] < i); /* sorted and distinct */
            chosen[i] = 1;
        }
        int bad_pool = 0, bad_label = 0, bad_trigger = 0, touched = 0, changed_labels = 0;
        for (int i = 0; i < N; i++) {
            int y0 = data.train.y[i];
            if (chosen[i]) {
                bad_pool += !cases[k].in_pool(y0);
                bad_label += split.y[i] != cases[k].label(y0);
                bad_trigger += !triggered(&split, i);
                changed_labels += split.y[i] != y0;
            } else {
                touched += split.y[i] != y0 || memcmp(split.x + i * 64, data.train.x + i * 64, 64) != 0;
            }
        }
        CHECK_MSG(bad_pool == 0 && bad_label == 0 && bad_trigger == 0 && touched == 0,
                  "%s: outside pool %d, wrong label %d, no trigger %d, untouched samples changed %d", cases[k].name,
                  bad_pool, bad_label, bad_trigger, touched);
        /* clean-label keeps every label; the dirty-label strategies change all 50. */
        CHECK(changed_labels == (cases[k].label == same ? 0 : 50));
        free(chosen);
        bd_poison_report_free(&rep);
        CHECK(rep.indices == NULL);
        free_split(&split);
    }
    bd_trigger_free(t);
}

static void test_counts_and_errors(void) {
    BdTrigger *t = square("bottom-right");
    BdSpec s;
    BdError err = {0};
    BdRng rng;
    BdPoisonReport rep;

    /* round(rate * n), half away from zero. */
    const struct {
        double rate;
        int count;
    } rounding[] = {{0.0005, 1}, {0.0004, 0}, {0.0015, 2}, {0.123, 123}, {0.9, 900}, {1.0, 1000}};
    strategy(&s, "all-to-all", NULL);
    for (size_t k = 0; k < sizeof rounding / sizeof *rounding; k++) {
        BdSplit split = copy_split();
        bd_rng_seed(&rng, 1);
        CHECK(bd_poison(&s, 0, rounding[k].rate, t, &split, shape, &rng, NULL, &rep, &err) == 0);
        CHECK_MSG(rep.poisoned == rounding[k].count, "rate %g: %d poisoned", rounding[k].rate, rep.poisoned);
        bd_poison_report_free(&rep);
        free_split(&split);
    }

    /* Rate 0: nothing changes, the pool is still reported. */
    strategy(&s, "all-to-one", NULL);
    BdSplit split = copy_split();
    bd_rng_seed(&rng, 1);
    CHECK(bd_poison(&s, 3, 0.0, t, &split, shape, &rng, NULL, &rep, &err) == 0);
    CHECK(rep.poisoned == 0 && rep.pool == 900 && rep.indices == NULL);
    CHECK(!memcmp(split.x, data.train.x, N * 64) && !memcmp(split.y, data.train.y, N * sizeof(int)));
    /* ... and needs no trigger. */
    CHECK(bd_poison(&s, 3, 0.0, NULL, &split, shape, &rng, NULL, &rep, &err) == 0);
    free_split(&split);

    /* The rule a sweep is checked with before it runs is the one applied
     * here: the count, and the pool from the class counts. */
    int per_class[10] = {0};
    for (int i = 0; i < N; i++) per_class[data.train.y[i]]++;
    const char *names[][2] = {{"all-to-one", NULL}, {"one-to-one", "5"}, {"all-to-all", NULL}, {"clean-label", NULL}};
    for (int k = 0; k < 4; k++) {
        strategy(&s, names[k][0], names[k][1]);
        split = copy_split();
        CHECK(bd_poison(&s, 3, 0.0, t, &split, shape, &rng, NULL, &rep, &err) == 0);
        CHECK_MSG(bd_strategy_pool(&s, 3, per_class, 10) == rep.pool, "%s: pool %ld, poisoned from %d", names[k][0],
                  bd_strategy_pool(&s, 3, per_class, 10), rep.pool);
        free_split(&split);
    }
    CHECK(bd_poison_count(0.101, 1000) == 101 && bd_poison_count(0.0005, 1000) == 1 && bd_poison_count(0.1, 47500) == 4750);
    char words[128];
    strategy(&s, "one-to-one", "5");
    bd_strategy_pool_words(&s, words, sizeof words);
    CHECK_STR(words, "the source class 5");

    /* The pool is exactly large enough, then one short. */
    strategy(&s, "clean-label", NULL);
    split = copy_split();
    CHECK(bd_poison(&s, 3, 0.1, t, &split, shape, &rng, NULL, &rep, &err) == 0 && rep.poisoned == 100);
    bd_poison_report_free(&rep);
    free_split(&split);
    split = copy_split();
    CHECK(bd_poison(&s, 3, 0.101, t, &split, shape, &rng, NULL, &rep, &err) < 0);
    CHECK_CONTAINS(err.msg, "clean-label: poison rate 0.101 of 1000 training samples needs 101 poisoned samples");
    CHECK_CONTAINS(err.msg, "the pool (the target class, target 3) has only 100");
    CHECK(!memcmp(split.x, data.train.x, N * 64)); /* a failure changes nothing */
    strategy(&s, "one-to-one", "5");
    CHECK(bd_poison(&s, 3, 0.5, t, &split, shape, &rng, NULL, &rep, &err) < 0);
    CHECK_CONTAINS(err.msg, "one-to-one: poison rate 0.5 of 1000 training samples needs 500");
    CHECK_CONTAINS(err.msg, "the source class 5, target 3) has only 100: expected a rate of at most 0.1");
    strategy(&s, "all-to-one", NULL);
    CHECK(bd_poison(&s, 3, 0.95, t, &split, shape, &rng, NULL, &rep, &err) < 0);
    CHECK_CONTAINS(err.msg, "needs 950 poisoned samples, but the pool (classes other than the target, target 3) has only 900");
    CHECK(bd_poison(&s, 3, 1.5, t, &split, shape, &rng, NULL, &rep, &err) < 0);
    CHECK_CONTAINS(err.msg, "poison rate 1.5: expected a fraction in [0, 1]");
    CHECK(bd_poison(&s, 10, 0.1, t, &split, shape, &rng, NULL, &rep, &err) < 0);
    CHECK_CONTAINS(err.msg, "target class 10 is out of range: the dataset has classes 0..9");
    CHECK(bd_poison(&s, 3, 0.1, NULL, &split, shape, &rng, NULL, &rep, &err) < 0);
    CHECK_CONTAINS(err.msg, "needs a trigger");
    free_split(&split);

    /* Strategy checks. */
    strategy(&s, "one-to-one", "3");
    CHECK(bd_strategy_check(&s, 3, C, &err) < 0);
    CHECK_CONTAINS(err.msg, "one-to-one: source class 3 equals the target: expected a different class");
    strategy(&s, "one-to-one", "12");
    CHECK(bd_strategy_check(&s, 3, C, &err) < 0);
    CHECK_CONTAINS(err.msg, "source class 12 is out of range: the dataset has classes 0..9");
    CHECK(bd_strategy_check(&s, 3, 13, &err) == 0);
    bd_trigger_free(t);
}

static void test_determinism(void) {
    BdTrigger *t = square("random");
    BdSpec s;
    BdError err = {0};
    strategy(&s, "all-to-one", NULL);
    BdSplit a = copy_split(), b = copy_split(), c = copy_split();
    BdRng r1, r2, r3, t1, t2, t3;
    bd_rng_seed(&r1, 5);
    bd_rng_seed(&r2, 5);
    bd_rng_seed(&r3, 6);
    bd_rng_seed(&t1, 9);
    bd_rng_seed(&t2, 9);
    bd_rng_seed(&t3, 9);
    BdPoisonReport ra, rb, rc;
    CHECK(bd_poison(&s, 0, 0.2, t, &a, shape, &r1, &t1, &ra, &err) == 0);
    CHECK(bd_poison(&s, 0, 0.2, t, &b, shape, &r2, &t2, &rb, &err) == 0);
    CHECK(bd_poison(&s, 0, 0.2, t, &c, shape, &r3, &t3, &rc, &err) == 0);
    CHECK(!memcmp(ra.indices, rb.indices, 200 * sizeof(int)));
    CHECK(!memcmp(a.x, b.x, N * 64) && !memcmp(a.y, b.y, N * sizeof(int)));
    CHECK(memcmp(ra.indices, rc.indices, 200 * sizeof(int)) != 0);
    bd_poison_report_free(&ra);
    bd_poison_report_free(&rb);
    bd_poison_report_free(&rc);
    free_split(&a);
    free_split(&b);
    free_split(&c);
    bd_trigger_free(t);
}

/* Uniform over the pool: every member is drawn about equally often. */
static void test_uniform(void) {
    BdTrigger *t = square("top-left");
    BdSpec s;
    BdError err = {0};
    strategy(&s, "one-to-one", "2");
    int hits[N] = {0};
    BdSplit split = copy_split();
    for (int seed = 0; seed < 400; seed++) {
        BdRng rng;
        BdPoisonReport rep;
        bd_rng_seed(&rng, (uint64_t)seed);
        split.n = N;
        memcpy(split.y, data.train.y, N * sizeof(int));
        CHECK(bd_poison(&s, 7, 0.01, t, &split, shape, &rng, NULL, &rep, &err) == 0);
        for (int j = 0; j < rep.poisoned; j++) hits[rep.indices[j]]++;
        bd_poison_report_free(&rep);
    }
    /* 400 draws of 10 from 100: each member expects 40 (sd ~6). */
    int lo = 1 << 30, hi = 0, outside = 0;
    for (int i = 0; i < N; i++) {
        if (data.train.y[i] != 2) {
            outside += hits[i];
            continue;
        }
        if (hits[i] < lo) lo = hits[i];
        if (hits[i] > hi) hi = hits[i];
    }
    CHECK(outside == 0);
    CHECK_MSG(lo >= 15 && hi <= 70, "pool member hits range %d..%d, expected about 40 each", lo, hi);
    free_split(&split);
    bd_trigger_free(t);
}

static void test_eligibility(void) {
    BdSpec s;
    strategy(&s, "all-to-one", NULL);
    CHECK(!bd_strategy_eligible(&s, 3, 3) && bd_strategy_eligible(&s, 3, 4));
    CHECK(bd_strategy_attack_label(&s, 3, 4, C) == 3);
    strategy(&s, "clean-label", NULL);
    CHECK(!bd_strategy_eligible(&s, 3, 3) && bd_strategy_eligible(&s, 3, 0));
    CHECK(bd_strategy_attack_label(&s, 3, 0, C) == 3);
    strategy(&s, "one-to-one", "5");
    CHECK(bd_strategy_eligible(&s, 3, 5) && !bd_strategy_eligible(&s, 3, 4) && !bd_strategy_eligible(&s, 3, 3));
    CHECK(bd_strategy_attack_label(&s, 3, 5, C) == 3);
    strategy(&s, "all-to-all", NULL);
    CHECK(bd_strategy_eligible(&s, 3, 3) && bd_strategy_eligible(&s, 3, 9));
    CHECK(bd_strategy_attack_label(&s, 3, 9, C) == 0 && bd_strategy_attack_label(&s, 3, 3, C) == 4);
    for (const BdPreset *p = bd_strategy_presets; p->name; p++) CHECK(p->impl != NULL);
}

int main(void) {
    load_data();
    test_strategies();
    test_counts_and_errors();
    test_determinism();
    test_uniform();
    test_eligibility();
    bd_dataset_free(&data);
    return check_result("attack_poison");
}
