/* The sweep loader: expansion order and counts, every form of exclude, and
 * every validation error with its FILE:LINE:COL and message.
 * Usage: test_sweep SOURCE_ROOT */
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "check.h"
#include "job_keys.h"
#include "sweep/sweep.h"
#include "sweep/testenv.h"

static const char *src_root;
static char *dir;
static int n_file;

/* Writes yaml to a new file and loads it; the path is returned in path. */
static int load(const char *yaml, int flags, BdSweep *sw, BdError *err, char *path, size_t cap) {
    snprintf(path, cap, "%s/sweep%d.yaml", dir, n_file++);
    test_write(path, yaml);
    return bd_sweep_load(path, flags | BD_SWEEP_QUIET, sw, err);
}

/* The load must fail with "PATH" + expected (expected begins with ":LINE:COL: "). */
#define EXPECT_ERROR(yaml, expected) expect_error(__LINE__, yaml, 0, expected)
static void expect_error(int line, const char *yaml, int flags, const char *expected) {
    BdSweep sw;
    BdError err = {0};
    char path[4096];
    int rc = load(yaml, flags, &sw, &err, path, sizeof path);
    CHECK_MSG(rc < 0, "line %d: the sweep should be refused", line);
    size_t n = strlen(path);
    int ok = !strncmp(err.msg, path, n) && !strncmp(err.msg + n, expected, strlen(expected));
    CHECK_MSG(ok, "line %d:\n  got:      %s\n  expected: %s%s", line, err.msg, path, expected);
    CHECK(sw.n_cells == 0 && sw.cells == NULL);
    bd_sweep_free(&sw);
}

static BdSweep load_ok(int line, const char *yaml, int flags) {
    BdSweep sw;
    BdError err = {0};
    char path[4096];
    int rc = load(yaml, flags, &sw, &err, path, sizeof path);
    CHECK_MSG(rc == 0, "line %d: %s", line, err.msg);
    return sw;
}
#define LOAD_OK(yaml) load_ok(__LINE__, yaml, 0)

#define HEAD "name: t\n"
#define BASE_GRID                                                                                                     \
    "grid:\n"                                                                                                         \
    "  dataset: [fashion-mnist]\n"                                                                                    \
    "  arch: [cnn-small]\n"

/* ---- the smoke sweep ------------------------------------------------------------ */

static void test_smoke(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/sweeps/smoke.yaml", src_root);
    BdSweep sw;
    BdError err = {0};
    CHECK_MSG(bd_sweep_load(path, BD_SWEEP_STRICT | BD_SWEEP_QUIET, &sw, &err) == 0, "%s", err.msg);
    CHECK_STR(sw.name, "smoke");
    CHECK_STR(sw.description, "the smallest useful sweep (two triggers, a baseline and a rate, two seeds); the "
                              "integration tests run it (under a minute on 2 cores)");
    CHECK_STR(sw.db_path, "results/smoke.db");
    CHECK(sw.yaml && strstr(sw.yaml, "exclude:"));
    /* 2 triggers x 2 rates x 2 seeds minus the 2 excluded. */
    CHECK(sw.n_cells == 6);
    CHECK(sw.n_warnings == 0);
    const char *train = "train=sgd(epochs=2,limit_test=1000,limit_train=4000)";
    char want[1024];
    snprintf(want, sizeof want, "dataset=fashion-mnist arch=cnn-small trigger=square poison_rate=0 seed=1 %s", train);
    CHECK_STR(sw.cells[0].key, want);
    snprintf(want, sizeof want,
             "dataset=fashion-mnist arch=cnn-small trigger=square(location=top-left,size=4) poison_rate=0.05 seed=2 %s",
             train);
    CHECK_STR(sw.cells[5].key, want);
    /* Absent or default values are still there, canonical. */
    CHECK_STR(sw.cells[0].values[BD_AXIS_STRATEGY], "all-to-one");
    CHECK_STR(sw.cells[0].values[BD_AXIS_RETRAIN], "none");
    CHECK_STR(sw.cells[0].values[BD_AXIS_INIT], "scratch");
    CHECK_STR(sw.cells[0].values[BD_AXIS_TARGET], "0");
    CHECK_STR(sw.cells[3].values[BD_AXIS_POISON_RATE], "0.05");
    /* Values are shared between cells, not copied. */
    CHECK(sw.cells[0].values[BD_AXIS_DATASET] == sw.cells[5].values[BD_AXIS_DATASET]);
    CHECK(sw.axes[BD_AXIS_TRIGGER].n == 2 && sw.axes[BD_AXIS_TRIGGER].given);
    CHECK(sw.axes[BD_AXIS_TRIGGER].values[1].line == 9 && sw.axes[BD_AXIS_TRIGGER].values[1].col == 21);
    CHECK_STR(sw.axes[BD_AXIS_TRIGGER].values[1].where, "grid.trigger[1]");
    CHECK(sw.axes[BD_AXIS_TRAIN].given && sw.axes[BD_AXIS_TRAIN].values[0].line == 3);
    bd_sweep_free(&sw);
}

/* ---- expansion order ---------------------------------------------------------- */

static void test_order(void) {
    BdSweep sw = LOAD_OK(HEAD "grid:\n"
                              "  dataset: [mnist, fashion-mnist]\n"
                              "  arch: cnn-small\n"
                              "  trigger: [square, blend]\n"
                              "  poison_rate: [0.0, 0.10]\n"
                              "  seed: [1, 2, 3]\n");
    CHECK(sw.n_cells == 24);
    /* The last axis (seed here) varies fastest, values in file order. */
    const char *seeds[] = {"1", "2", "3", "1"};
    for (int i = 0; i < 4; i++) CHECK_STR(sw.cells[i].values[BD_AXIS_SEED], seeds[i]);
    CHECK_STR(sw.cells[2].values[BD_AXIS_POISON_RATE], "0");
    CHECK_STR(sw.cells[3].values[BD_AXIS_POISON_RATE], "0.1");
    CHECK_STR(sw.cells[5].values[BD_AXIS_TRIGGER], "square");
    CHECK_STR(sw.cells[6].values[BD_AXIS_TRIGGER], "blend");
    CHECK_STR(sw.cells[11].values[BD_AXIS_DATASET], "mnist");
    CHECK_STR(sw.cells[12].values[BD_AXIS_DATASET], "fashion-mnist");
    CHECK_STR(sw.cells[23].key, "dataset=fashion-mnist arch=cnn-small trigger=blend poison_rate=0.1 seed=3");
    /* Every key distinct. */
    int dup = 0;
    for (int i = 0; i < sw.n_cells; i++)
        for (int j = 0; j < i; j++) dup |= !strcmp(sw.cells[i].key, sw.cells[j].key);
    CHECK(!dup);
    bd_sweep_free(&sw);

    /* A single value instead of a list; top-level train/retrain/init; the
     * keyed init form; lists as parameters; quoting in keys (of list items
     * too: tests/unit/test_cell_key.c). */
    sw = LOAD_OK(HEAD "train: {epochs: 3, nesterov: yes}\n"
                      "retrain: {fraction: 0.1, epochs: 2}\n"
                      "init: {pretrained: clean, trainable: head}\n"
                      "grid:\n"
                      "  dataset: {name: cifar10, path: \"/data/my cifar (v1)\"}\n"
                      "  arch: {name: resnet50, depth: [2, 2, 2, 2], width: 0.25}\n"
                      "  trigger: \"pattern(glyph=X,size=5)\"\n"
                      "  poison_rate: 1e-1\n"
                      "  target: 2.0\n"
                      "  regularizer: {name: snnl, layers: [penultimate, stage2]}\n");
    CHECK(sw.n_cells == 1);
    CHECK_STR(sw.cells[0].key,
              "dataset=cifar10(path=\"/data/my cifar (v1)\") arch=resnet50(depth=[2,2,2,2],width=0.25) "
              "trigger=pattern(glyph=X,size=5) target=2 poison_rate=0.1 regularizer=snnl(layers=[penultimate,stage2]) "
              "init=pretrained(trainable=head) train=sgd(epochs=3,nesterov=true) retrain=finetune(epochs=2,fraction=0.1)");
    bd_sweep_free(&sw);

    /* Two spellings of one value are one value (an error, see test_errors);
     * explicit defaults vanish from the key. */
    sw = LOAD_OK(HEAD BASE_GRID "  trigger: {name: square, size: 3, location: bottom-right}\n"
                                "  poison_rate: 0.1\n"
                                "  strategy: all-to-one\n");
    CHECK_STR(sw.cells[0].key, "dataset=fashion-mnist arch=cnn-small trigger=square poison_rate=0.1");
    bd_sweep_free(&sw);
}

/* ---- exclude ------------------------------------------------------------------ */

#define EX_GRID                                                                                                   \
    HEAD BASE_GRID "  trigger: [square, {name: square, size: 4}, {name: square, size: 4, location: top-left}, blend]\n" \
                   "  poison_rate: [0, 0.1]\n"                                                                    \
                   "  seed: [1, 2]\n"

static int count_with(const BdSweep *sw, BdAxis a, const char *value) {
    int n = 0;
    for (int i = 0; i < sw->n_cells; i++) n += !strcmp(sw->cells[i].values[a], value);
    return n;
}

static void test_exclude(void) {
    BdSweep sw = LOAD_OK(EX_GRID);
    CHECK(sw.n_cells == 16);
    bd_sweep_free(&sw);

    /* A preset name alone matches every value of that preset. */
    sw = LOAD_OK(EX_GRID "exclude:\n  - {trigger: square}\n");
    CHECK(sw.n_cells == 4);
    CHECK(count_with(&sw, BD_AXIS_TRIGGER, "blend") == 4);
    bd_sweep_free(&sw);

    /* A partial mapping matches the values with those parameters. */
    sw = LOAD_OK(EX_GRID "exclude:\n  - {trigger: {name: square, size: 4}, poison_rate: 0.0}\n");
    CHECK(sw.n_cells == 12);
    CHECK(count_with(&sw, BD_AXIS_TRIGGER, "square(size=4)") == 2);
    CHECK(count_with(&sw, BD_AXIS_TRIGGER, "square(location=top-left,size=4)") == 2);
    CHECK(count_with(&sw, BD_AXIS_TRIGGER, "square") == 4);
    bd_sweep_free(&sw);

    /* The full mapping matches exactly that trigger; parameters at their
     * default match too (size 3 is square's default). */
    sw = LOAD_OK(EX_GRID "exclude:\n"
                         "  - {trigger: {name: square, size: 4, location: top-left}}\n"
                         "  - {trigger: {name: square, size: 3}, seed: 2}\n");
    CHECK(sw.n_cells == 10);
    CHECK(count_with(&sw, BD_AXIS_TRIGGER, "square(location=top-left,size=4)") == 0);
    CHECK(count_with(&sw, BD_AXIS_TRIGGER, "square") == 2);
    CHECK(sw.n_warnings == 0);
    bd_sweep_free(&sw);

    /* The canonical text form (a partial pattern: both size-4 squares); an
     * axis the sweep omits (strategy at its absent value all-to-one) and the
     * implicit preset of train. */
    sw = LOAD_OK(EX_GRID "exclude:\n"
                         "  - {trigger: \"square(size=4.0)\", strategy: all-to-one, train: {epochs: 10}}\n");
    CHECK(sw.n_cells == 8);
    CHECK(count_with(&sw, BD_AXIS_TRIGGER, "square") == 4);
    bd_sweep_free(&sw);
    sw = LOAD_OK(EX_GRID "exclude:\n  - {trigger: square, train: {epochs: 9}}\n");
    CHECK(sw.n_cells == 16); /* train is sgd(epochs=10) by default: no match */
    bd_sweep_free(&sw);

    /* Scalars compare canonically: 0.10 is 0.1, 1.0 is 1. */
    sw = LOAD_OK(EX_GRID "exclude:\n  - {poison_rate: 0.10, seed: 1.0}\n");
    CHECK(sw.n_cells == 12);
    CHECK(count_with(&sw, BD_AXIS_POISON_RATE, "0.1") == 4);
    bd_sweep_free(&sw);

    /* An entry that matches nothing is a warning naming its line. */
    char path[4096];
    BdError err = {0};
    CHECK(load(EX_GRID "exclude:\n  - {seed: 1}\n  - {trigger: {name: square, size: 5}}\n", 0, &sw, &err, path,
               sizeof path) == 0);
    CHECK(sw.n_cells == 8);
    CHECK(sw.n_warnings == 1);
    if (sw.n_warnings == 1) {
        char want[4200];
        snprintf(want, sizeof want, "%s:10:5: exclude[1]: matches no cell: no trigger of the sweep matches its trigger",
                 path);
        CHECK_STR(sw.warnings[0], want);
    }
    bd_sweep_free(&sw);
}

/* ---- limits ------------------------------------------------------------------------- */

/* The limits of the first cell with these trigger and seed values. */
static BdLimits limits_of(const BdSweep *sw, const char *trigger, const char *seed) {
    for (int i = 0; i < sw->n_cells; i++)
        if (!strcmp(sw->cells[i].values[BD_AXIS_TRIGGER], trigger) && !strcmp(sw->cells[i].values[BD_AXIS_SEED], seed))
            return sw->limits.profiles[sw->cells[i].limits];
    CHECK_MSG(0, "no cell with trigger %s and seed %s", trigger, seed);
    return (BdLimits){0};
}

#define LIMITS_ERROR(yaml, expected) expect_error(__LINE__, EX_GRID yaml, 0, expected)

static void test_limits(void) {
    /* None given: no wall-time or memory limit, 3 attempts. */
    BdSweep sw = LOAD_OK(EX_GRID);
    CHECK(sw.limits.all.wall == 0 && sw.limits.all.memory == 0 && sw.limits.all.attempts == 3);
    CHECK(sw.n_cells > 0 && sw.limits.n_profiles == 1);
    bd_sweep_free(&sw);

    /* The sweep's, then each override that names a cell, in file order, for
     * the limits it gives (none lifts one). Keys do not change. */
    sw = LOAD_OK(EX_GRID "limits:\n"
                         "  wall: 2h\n"
                         "  memory: 4GiB\n"
                         "  attempts: 5\n"
                         "  overrides:\n"
                         "    - cells: {trigger: {name: square, size: 4}}\n"
                         "      wall: 1:30:00\n"
                         "    - {cells: {seed: 2, trigger: square}, memory: none, attempts: 1}\n");
    CHECK(sw.limits.all.wall == 7200 && sw.limits.all.memory == (int64_t)4 << 30 && sw.limits.all.attempts == 5);
    BdLimits l = limits_of(&sw, "blend", "1");
    CHECK(l.wall == 7200 && l.memory == (int64_t)4 << 30 && l.attempts == 5);
    l = limits_of(&sw, "square(size=4)", "1");
    CHECK(l.wall == 5400 && l.memory == (int64_t)4 << 30 && l.attempts == 5);
    l = limits_of(&sw, "square(location=top-left,size=4)", "2");
    CHECK(l.wall == 5400 && l.memory == 0 && l.attempts == 1);
    l = limits_of(&sw, "square", "2");
    CHECK(l.wall == 7200 && l.memory == 0 && l.attempts == 1);
    CHECK(sw.limits.n_profiles == 4);
    CHECK(sw.n_warnings == 0);
    BdSweep plain = LOAD_OK(EX_GRID);
    CHECK(plain.n_cells == sw.n_cells);
    for (int i = 0; i < sw.n_cells && i < plain.n_cells; i++) CHECK_STR(sw.cells[i].key, plain.cells[i].key);
    bd_sweep_free(&plain);
    bd_sweep_free(&sw);
    sw = LOAD_OK(EX_GRID "limits: {wall: 90m, memory: 300MiB}\n");
    CHECK(sw.limits.all.wall == 5400 && sw.limits.all.memory == (int64_t)300 << 20);
    bd_sweep_free(&sw);

    /* An override that names no cell of the grid is a warning with its line. */
    char path[4096];
    BdError err = {0};
    CHECK(load(EX_GRID "limits:\n  overrides:\n    - {cells: {seed: 7}, wall: 1h}\n", 0, &sw, &err, path,
               sizeof path) == 0);
    CHECK(sw.n_warnings == 1);
    if (sw.n_warnings == 1) {
        char want[4200];
        snprintf(want, sizeof want, "%s:10:7: limits.overrides[0]: matches no cell: no seed of the sweep matches its seed",
                 path);
        CHECK_STR(sw.warnings[0], want);
    }
    bd_sweep_free(&sw);

    /* Every error is located at its node. */
    LIMITS_ERROR("limits: 5\n", ":8:9: limits: expected a mapping (wall, memory, attempts, overrides), got a value");
    LIMITS_ERROR("limits:\n  time: 2h\n", ":9:3: limits: unknown key 'time' (expected wall, memory, attempts, overrides)");
    LIMITS_ERROR("limits:\n  wall: 2 hours\n",
                 ":9:9: limits.wall: '2 hours' is not a duration: expected one such as 90m, 2h, 1h30m, 1:30:00 or 5400 "
                 "(seconds), or none");
    LIMITS_ERROR("limits:\n  wall: 0\n", ":9:9: limits.wall: 0: expected at least one second (or none for no limit)");
    LIMITS_ERROR("limits:\n  wall: [1h]\n", ":9:9: limits.wall: expected a duration such as 90m, 2h, 1:30:00 or 5400 "
                                            "(seconds), or none; got a list");
    LIMITS_ERROR("limits:\n  memory: 4GB\n",
                 ":9:11: limits.memory: '4GB' is ambiguous: write the size in binary units, such as 4GiB (or 4G, as "
                 "Slurm's --mem counts)");
    LIMITS_ERROR("limits:\n  memory: lots\n", ":9:11: limits.memory: 'lots' is not a size: expected one such as 300MiB, "
                                              "4GiB, 4G or 1048576 (bytes), or none");
    LIMITS_ERROR("limits:\n  memory: 512KiB\n", ":9:11: limits.memory: 512KiB: expected at least 1MiB");
    LIMITS_ERROR("limits:\n  attempts: 0\n",
                 ":9:13: limits.attempts: expected an integer in [1, 1000] (attempts in all, the first included), got '0'");
    LIMITS_ERROR("limits:\n  attempts: 2.5\n", ":9:13: limits.attempts: expected an integer in [1, 1000]");
    LIMITS_ERROR("limits:\n  overrides: {seed: 1}\n",
                 ":9:14: limits.overrides: expected a list of {cells: {...}, wall: ..., ...}, got a mapping");
    LIMITS_ERROR("limits:\n  overrides:\n    - 5\n",
                 ":10:7: limits.overrides[0]: expected a mapping with cells: {axis: value, ...} and the limits, got a value");
    LIMITS_ERROR("limits:\n  overrides:\n    - {wall: 1h}\n",
                 ":10:7: limits.overrides[0]: missing 'cells': the cells the entry applies to, as an exclude entry names "
                 "them ({arch: resnet50})");
    LIMITS_ERROR("limits:\n  overrides:\n    - {cells: {seed: 1}}\n",
                 ":10:7: limits.overrides[0]: gives no limit: expected wall, memory or attempts beside cells");
    LIMITS_ERROR("limits:\n  overrides:\n    - {cells: {seed: 1}, wal: 1h}\n",
                 ":10:26: limits.overrides[0]: unknown key 'wal' (expected wall, memory, attempts, cells)");
    LIMITS_ERROR("limits:\n  overrides:\n    - {cells: {colour: red}, wall: 1h}\n",
                 ":10:16: limits.overrides[0].cells: unknown axis 'colour' (expected one of: ");
    LIMITS_ERROR("limits:\n  overrides:\n    - {cells: {}, wall: 1h}\n",
                 ":10:15: limits.overrides[0].cells: empty entry: expected at least one axis: value (an empty entry "
                 "would name every cell: give the limit above instead)");
    LIMITS_ERROR("limits:\n  overrides:\n    - {cells: {trigger: {name: squares}}, wall: 1h}\n",
                 ":10:32: limits.overrides[0].cells.trigger: unknown trigger 'squares'");
    LIMITS_ERROR("limits:\n  overrides:\n    - {cells: {seed: 1}, memory: 1.5T, wall: soon}\n",
                 ":10:46: limits.overrides[0].wall: 'soon' is not a duration");
}

/* ---- validation errors ---------------------------------------------------------- */

static void test_errors(void) {
    /* A parameter out of range: located at the parameter's node, with the value's path. */
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [square, {name: square, size: 0}]\n  poison_rate: 0.1\n",
                 ":5:42: grid.trigger[1]: square: parameter 'size': 0 is out of range: expected an integer in [1, 4096]");
    /* Integers a long cannot hold: out of range, without converting them
     * (that is undefined behaviour; the sanitizer build in CI runs this). */
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [square, {name: square, size: 1e20}]\n  poison_rate: 0.1\n",
                 ":5:42: grid.trigger[1]: square: parameter 'size': 1e20 is out of range: expected an integer in "
                 "[1, 4096]");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: 0\n  seed: [1, -1e300]\n",
                 ":7:13: grid.seed[1]: -1e300 is out of range: expected an integer in [0, 2147483647]");
    EXPECT_ERROR(HEAD "grid:\n  dataset: mnist\n  arch: {name: resnet50, depth: [3, 99999999999999999999]}\n",
                 ":4:33: grid.arch: resnet50: parameter 'depth': element 2 (99999999999999999999) is out of range: "
                 "expected in [1, 64]");
    /* Malformed YAML: libyaml's problem and mark. */
    EXPECT_ERROR(HEAD "grid:\n  dataset: [mnist\n  arch: x\n",
                 ":4:7: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence that starts at "
                 "line 3, column 12)");
    EXPECT_ERROR(HEAD "grid: {dataset: mnist\n", ":3:1: invalid YAML: did not find expected ',' or '}'");
    EXPECT_ERROR(HEAD "\tgrid: 1\n", ":2:1: invalid YAML: found a tab character that violates indentation");
    EXPECT_ERROR(HEAD BASE_GRID "---\nname: u\n", ":6:1: a second YAML document: expected one sweep per file");
    EXPECT_ERROR("", ": the file is empty: expected a mapping with at least `name:` and `grid:`");
    EXPECT_ERROR("- a\n", ":1:1: expected a mapping with at least `name:` and `grid:`, got a list");
    /* Top level. */
    EXPECT_ERROR(HEAD "gird: {}\n",
                 ":2:1: unknown top-level key 'gird' (expected one of: name, description, grid, exclude, keep, "
                 "limits, train, retrain, init)");
    EXPECT_ERROR(HEAD BASE_GRID "keep: [models, logs]\n", ":5:16: keep: expected a list of: models; got 'logs'");
    EXPECT_ERROR(HEAD BASE_GRID "keep: {models: 1}\n", ":5:7: keep: expected a list of: models; got a mapping");
    EXPECT_ERROR(HEAD "seed: 3\n", ":2:1: unknown top-level key 'seed': the axis seed goes under grid:");
    EXPECT_ERROR("grid: {}\n", ":1:1: missing the required key 'name'");
    EXPECT_ERROR(HEAD, ":1:1: missing the required key 'grid' (a mapping of axis: [values])");
    EXPECT_ERROR("name: a b\n", ":1:7: name: 'a b' is not a valid sweep name: expected letters, digits");
    EXPECT_ERROR("name: [a]\n", ":1:7: name: expected the sweep's name ([A-Za-z0-9_.-]+), got a list");
    EXPECT_ERROR(HEAD "name: u\n", ":2:1: key 'name' appears twice (first at line 1, column 1)");
    EXPECT_ERROR(HEAD "description: [a]\n", ":2:14: description: expected text, got a list");
    EXPECT_ERROR(HEAD "grid: [dataset]\n", ":2:7: grid: expected a mapping of axis: [values], got a list");
    EXPECT_ERROR(HEAD "train: [{epochs: 1}]\n" BASE_GRID,
                 ":2:8: train: expected one value at the top level (a list of values goes under grid.train)");
    EXPECT_ERROR(HEAD "train: {epochs: 1}\n" BASE_GRID "  train: [{epochs: 2}]\n",
                 ":6:3: grid.train: train is also given at the top level (line 2, column 1): give it in one place");
    /* Axes. */
    EXPECT_ERROR(HEAD BASE_GRID "  triger: [square]\n",
                 ":5:3: grid: unknown axis 'triger' (expected one of: dataset, arch, trigger, strategy, target, "
                 "poison_rate, regularizer, seed, init, train, retrain)");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [square]\n",
                 ":3:3: grid: missing the required axis 'poison_rate' (fraction of the training set poisoned");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: []\n", ":5:12: grid.trigger: empty list: expected at least one trigger");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [square]\n  trigger: [blend]\n",
                 ":6:3: grid: key 'trigger' appears twice (first at line 5, column 3)");
    /* Values. */
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [sqaure]\n  poison_rate: 0.1\n",
                 ":5:13: grid.trigger[0]: unknown trigger 'sqaure' (expected one of: square, checkerboard, noise-patch, "
                 "pattern, blend, sinusoid, image)");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{name: sqaure}]\n  poison_rate: 0.1\n",
                 ":5:20: grid.trigger[0]: unknown trigger 'sqaure'");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{name: square, colour: 3}]\n  poison_rate: 0.1\n",
                 ":5:28: grid.trigger[0]: square: unknown parameter 'colour' (expected one of: size, color, alpha, "
                 "location, x, y, margin)");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [\"square(colour=3)\"]\n  poison_rate: 0.1\n",
                 ":5:13: grid.trigger[0]: square: unknown parameter 'colour'");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{size: 4}]\n  poison_rate: 0.1\n",
                 ":5:13: grid.trigger[0]: expected a 'name:' key naming the trigger (one of: square,");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{name: square, size: [3, 4]}]\n  poison_rate: 0.1\n",
                 ":5:34: grid.trigger[0]: square: parameter 'size': expected one value, got a list");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{name: square, size: {a: 1}}]\n  poison_rate: 0.1\n",
                 ":5:34: grid.trigger[0]: square: parameter 'size': expected a value or a list of values, got a mapping");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{name: square, color: [1, [2]]}]\n  poison_rate: 0.1\n",
                 ":5:39: grid.trigger[0]: square: parameter 'color': element 2: expected a value, got a list");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{name: square, location: middle}]\n  poison_rate: 0.1\n",
                 ":5:38: grid.trigger[0]: square: parameter 'location': 'middle' is not one of: top-left, top-right, "
                 "bottom-left, bottom-right, center, random");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [{name: square, x: 3}]\n  poison_rate: 0.1\n",
                 ":5:13: grid.trigger[0]: square: give both x and y for a fixed position");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [~]\n  poison_rate: 0.1\n",
                 ":5:13: grid.trigger[0]: expected a trigger (one of: square,");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [[square]]\n  poison_rate: 0.1\n",
                 ":5:13: grid.trigger[0]: expected a trigger (one of: square, checkerboard, noise-patch, pattern, "
                 "blend, sinusoid, image) or a mapping with its name and parameters, got a list");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [\"square size\"]\n  poison_rate: 0.1\n",
                 ":5:13: grid.trigger[0]: unexpected text ' size' after 'square'");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: [0.1, 1.5]\n",
                 ":6:22: grid.poison_rate[1]: 1.5 is out of range: expected a number in [0, 1]");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: [0.1, {a: 1}]\n",
                 ":6:22: grid.poison_rate[1]: expected a number in [0, 1], got a mapping");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: 0.1\n  seed: [one]\n",
                 ":7:10: grid.seed[0]: 'one' is not an integer");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: 0.1\n  target: [-1]\n",
                 ":7:12: grid.target[0]: -1 is out of range: expected an integer in [0, 100000]");
    EXPECT_ERROR(HEAD "train: {epochs: -1}\n" BASE_GRID "  trigger: square\n  poison_rate: 0.1\n",
                 ":2:17: train: sgd: parameter 'epochs': -1 is out of range: expected an integer in [0, 100000]");
    EXPECT_ERROR(HEAD "train: {name: adam}\n" BASE_GRID "  trigger: square\n  poison_rate: 0.1\n",
                 ":2:15: train: unknown train 'adam' (expected one of: sgd)");
    EXPECT_ERROR(HEAD "init: {name: pretrained, pretrained: clean}\n",
                 ":2:26: init: 'name' and 'pretrained' both name the init: give one");
    EXPECT_ERROR(HEAD "grid:\n  dataset: cifar10\n",
                 ":3:12: grid.dataset: cifar10: parameter 'path' is required (folder with data_batch_1..5.bin");
    /* Two spellings of one value. */
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [square, {name: square, size: 3}]\n  poison_rate: 0.1\n",
                 ":5:21: grid.trigger[1]: square is the same value as grid.trigger[0] (line 5, column 13) once "
                 "canonicalised: give each value once");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: [0.05, 0.050]\n",
                 ":6:23: grid.poison_rate[1]: 0.05 is the same value as grid.poison_rate[0] (line 6, column 17)");
    /* Exclude. */
    EXPECT_ERROR(EX_GRID "exclude: {seed: 1}\n", ":8:10: exclude: expected a list of mappings (axis: value), got a mapping");
    EXPECT_ERROR(EX_GRID "exclude: [seed]\n", ":8:11: exclude[0]: expected a mapping of axis: value, got a value");
    EXPECT_ERROR(EX_GRID "exclude: [{}]\n", ":8:11: exclude[0]: empty entry: expected at least one axis: value");
    EXPECT_ERROR(EX_GRID "exclude: [{sed: 1}]\n", ":8:12: exclude[0]: unknown axis 'sed'");
    EXPECT_ERROR(EX_GRID "exclude: [{trigger: sqare}]\n", ":8:21: exclude[0].trigger: unknown trigger 'sqare'");
    EXPECT_ERROR(EX_GRID "exclude: [{trigger: {name: square, sise: 4}}]\n",
                 ":8:36: exclude[0].trigger: square: unknown parameter 'sise'");
    EXPECT_ERROR(EX_GRID "exclude: [{poison_rate: 2}]\n",
                 ":8:25: exclude[0].poison_rate: 2 is out of range: expected a number in [0, 1]");
    EXPECT_ERROR(EX_GRID "exclude: [{seed: [1, 2]}]\n",
                 ":8:18: exclude[0].seed: expected an integer in [0, 2147483647], got a list");
    /* A grid too large to be meant (100 x 100 x 101 x 10 cells). */
    {
        char yaml[16384];
        size_t o = (size_t)snprintf(yaml, sizeof yaml, HEAD BASE_GRID "  trigger: [");
        for (int i = 1; i <= 10; i++)
            o += (size_t)snprintf(yaml + o, sizeof yaml - o, "%s{name: square, size: %d}", i > 1 ? ", " : "", i);
        const char *axes[] = {"target", "seed", "poison_rate"};
        for (int a = 0; a < 3; a++) {
            o += (size_t)snprintf(yaml + o, sizeof yaml - o, "]\n  %s: [", axes[a]);
            for (int i = 0; i < (a == 2 ? 101 : 100); i++)
                o += (size_t)snprintf(yaml + o, sizeof yaml - o, a == 2 ? "%s0.%04d" : "%s%d", i ? ", " : "", i);
        }
        snprintf(yaml + o, sizeof yaml - o, "]\n");
        EXPECT_ERROR(yaml, ": the grid has more than 10000000 cells: expected a smaller sweep (check the lists)");
    }
    EXPECT_ERROR(EX_GRID "exclude: [{poison_rate: 0}, {poison_rate: 0.1}]\n",
                 ":8:10: exclude: removes every one of the grid's 16 cells: nothing would run");
}

/* ---- checks across axes ------------------------------------------------------------ */

static void test_cell_checks(void) {
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: [square, {name: square, size: 30}]\n  poison_rate: 0.1\n",
                 ":5:21: grid.trigger[1]: with grid.dataset[0] (line 3): trigger square of size 30 does not fit a "
                 "28x28 image");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: 0.1\n  target: [1, 12]\n",
                 ":7:15: grid.target[1]: with grid.dataset[0] (line 3) and the default strategy all-to-one: target "
                 "class 12 is out of range: the dataset has classes 0..9");
    EXPECT_ERROR(HEAD BASE_GRID "  trigger: square\n  poison_rate: 0.1\n  strategy: {name: one-to-one, source: 0}\n",
                 ":7:13: grid.strategy: with grid.dataset[0] (line 3) and the default target 0: one-to-one: source "
                 "class 0 equals the target: expected a different class");
    EXPECT_ERROR(HEAD "grid:\n  dataset: {name: synthetic, channels: 1}\n  arch: cnn-small\n"
                      "  trigger: {name: square, color: [1, 2]}\n  poison_rate: 0.1\n",
                 ":5:12: grid.trigger: with grid.dataset (line 3): trigger square: color has 2 values: expected 1, or 3 "
                 "(taken as their luminance)");
    /* A regularizer's layers are the model's tags, per architecture:
     * cnn-small has no stage3, resnet20 does. */
    EXPECT_ERROR(HEAD "grid:\n  dataset: fashion-mnist\n  arch: [resnet20, cnn-small]\n  trigger: square\n"
                      "  poison_rate: 0.1\n  regularizer: [none, {name: snnl, layers: [penultimate, stage3]}]\n",
                 ":7:23: grid.regularizer[1]: with grid.dataset (line 3) and grid.arch[1] (line 4): regularizer snnl: "
                 "layer 'stage3' (in layers) is not a layer of this model; its layers are: input, stage1, stage2, "
                 "penultimate, logits");
    EXPECT_ERROR(HEAD "grid:\n  dataset: fashion-mnist\n  arch: cnn-small\n  trigger: square\n"
                      "  poison_rate: 0.1\n  regularizer: {name: manifold-mixup, layers: [logits]}\n",
                 ":7:16: grid.regularizer: with grid.dataset (line 3) and grid.arch (line 4): regularizer "
                 "manifold-mixup: layer 'logits' (in layers) is not a mixing point of this model");
    BdSweep sw = LOAD_OK(HEAD "grid:\n  dataset: fashion-mnist\n  arch: [resnet20, cnn-small]\n  trigger: square\n"
                              "  poison_rate: 0.1\n  regularizer: [none, {name: snnl, layers: [stage3]}]\n"
                              "exclude:\n  - {arch: cnn-small, regularizer: snnl}\n");
    CHECK(sw.n_cells == 3);
    bd_sweep_free(&sw);
    /* A dataset folder that is not on this machine: a warning for plan
     * (the sweep may be meant for another machine), an error for run. */
    const char *missing = HEAD "grid:\n  dataset: {name: mnist, path: /nonexistent/mnist}\n  arch: cnn-small\n"
                               "  trigger: square\n  poison_rate: 0.1\n";
    char path[4096];
    BdError err = {0};
    CHECK(load(missing, 0, &sw, &err, path, sizeof path) == 0);
    CHECK(sw.n_cells == 1 && sw.n_warnings == 1);
    if (sw.n_warnings == 1)
        CHECK_CONTAINS(sw.warnings[0], ":3:12: grid.dataset: mnist: the data folder /nonexistent/mnist is not on this "
                                       "machine (No such file or directory): every cell of this dataset would fail "
                                       "here, and `run` refuses it");
    bd_sweep_free(&sw);
    expect_error(__LINE__, missing, BD_SWEEP_STRICT,
                 ":3:12: grid.dataset: mnist: the data folder /nonexistent/mnist is not on this machine (No such file "
                 "or directory): run needs the data on the machine it runs on");
    /* A combination that exclude removes is never checked. */
    sw = LOAD_OK(HEAD "grid:\n  dataset: [fashion-mnist, {name: synthetic, size: 64}]\n  arch: cnn-small\n"
                              "  trigger: [square, {name: square, size: 40}]\n  poison_rate: 0.1\n"
                              "exclude:\n  - {dataset: fashion-mnist, trigger: {name: square, size: 40}}\n");
    CHECK(sw.n_cells == 3);
    bd_sweep_free(&sw);

    /* An image folder's shape comes from the folder: missing, it is a
     * warning for plan, which checks against the standard flowers' sizes
     * (and says so), and an error for run (STRICT). */
    const char *flowers = HEAD "grid:\n  dataset: {name: flowers, path: /nonexistent/flowers, size: 16}\n"
                               "  arch: cnn-small\n  trigger: {name: square, size: 3}\n  poison_rate: 0.1\n";
    CHECK(load(flowers, 0, &sw, &err, path, sizeof path) == 0);
    CHECK(sw.n_cells == 1 && sw.n_warnings == 1 && sw.n_notes == 1);
    if (sw.n_warnings == 1 && sw.n_notes == 1) {
        CHECK_CONTAINS(sw.warnings[0], ":3:12: grid.dataset: flowers: cannot open folder /nonexistent/flowers");
        CHECK_CONTAINS(sw.warnings[0], "use TensorFlow flowers' published sizes (3670 images of 5 classes) here");
        CHECK_STR(sw.notes[0], "dataset flowers(path=/nonexistent/flowers,size=16): the data is not here: trigger fit, "
                               "classes, regularizer layers, poisoning pools checked against TensorFlow flowers' "
                               "published sizes (3670 images of 5 classes)");
    }
    bd_sweep_free(&sw);
    expect_error(__LINE__, flowers, BD_SWEEP_STRICT,
                 ":3:12: grid.dataset: flowers: cannot open folder /nonexistent/flowers: No such file or directory: "
                 "expected one sub-folder per class");
    /* The standard sizes say what the image side is: a trigger too large is
     * refused without the data, and a class the standard set lacks. */
    expect_error(__LINE__,
                 HEAD "grid:\n  dataset: {name: flowers, path: /nonexistent/flowers, size: 16}\n"
                      "  arch: cnn-small\n  trigger: {name: square, size: 20}\n  poison_rate: 0.1\n",
                 0, ":5:12: grid.trigger: with grid.dataset (line 3): trigger square of size 20 does not fit a 16x16 "
                    "image");
    expect_error(__LINE__,
                 HEAD "grid:\n  dataset: {name: cifar10, path: /nonexistent/cifar}\n  arch: cnn-small\n"
                      "  trigger: square\n  poison_rate: 0.1\n  target: 10\n",
                 0, ":7:11: grid.target: with grid.dataset (line 3) and the default strategy all-to-one: target class "
                    "10 is out of range: the dataset has classes 0..9");
    /* Present, its shape is known and the trigger is checked against it. */
    char yaml[8192], sub[4200];
    const char *classes[] = {"daisy", "rose", "tulip"};
    snprintf(sub, sizeof sub, "%s/flowers", dir);
    mkdir(sub, 0777);
    for (int i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s/flowers/%s", dir, classes[i]);
        mkdir(sub, 0777);
    }
    snprintf(yaml, sizeof yaml,
             HEAD "grid:\n  dataset: {name: flowers, path: %s/flowers, size: 16}\n  arch: cnn-small\n"
                  "  trigger: {name: square, size: 20}\n  poison_rate: 0.1\n  target: 2\n",
             dir);
    expect_error(__LINE__, yaml, BD_SWEEP_STRICT,
                 ":5:12: grid.trigger: with grid.dataset (line 3): trigger square of size 20 does not fit a 16x16 image");
    snprintf(yaml, sizeof yaml,
             HEAD "grid:\n  dataset: {name: flowers, path: %s/flowers, size: 16}\n  arch: cnn-small\n"
                  "  trigger: square\n  poison_rate: 0.1\n  target: [2, 3]\n",
             dir);
    expect_error(__LINE__, yaml, BD_SWEEP_STRICT,
                 ":7:15: grid.target[1]: with grid.dataset (line 3) and the default strategy all-to-one: target class "
                 "3 is out of range: the dataset has classes 0..2");
}

/* ---- enough samples to poison --------------------------------------------------- */

static void test_pools(void) {
    /* Synthetic data is always here: 4 classes of 25 among 100 training
     * samples. One-to-one poisons the source class only: 0.25 fits, 0.3
     * (30 samples) cannot. */
    const char *grid = HEAD "grid:\n  dataset: {name: synthetic, classes: 4, size: 8, train: 100, test: 20}\n"
                            "  arch: cnn-small\n  trigger: square\n  strategy: {name: one-to-one, source: 1}\n";
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s  poison_rate: [0, 0.25, 0.3]\n  seed: [1, 2]\n", grid);
    expect_error(__LINE__, yaml, 0,
                 ":7:26: grid.poison_rate[2]: with grid.dataset (line 3), grid.strategy (line 6) and the default "
                 "target 0: one-to-one: poison rate 0.3 needs 30 poisoned samples of 100 training samples, but the "
                 "pool (the source class 1, target 0) holds 25 (counted in the data's 100 training labels): these 2 "
                 "cells must fail; expected a rate of at most 0.25 with this strategy, or an exclude entry for them; "
                 "the first: dataset=synthetic(classes=4,size=8,test=20,train=100) arch=cnn-small trigger=square "
                 "strategy=one-to-one(source=1) poison_rate=0.3 seed=1");
    /* run (STRICT) refuses it the same way; excluded, the sweep is fine. */
    expect_error(__LINE__, yaml, BD_SWEEP_STRICT, ":7:26: grid.poison_rate[2]: with grid.dataset (line 3)");
    snprintf(yaml, sizeof yaml, "%s  poison_rate: [0, 0.25, 0.3]\nexclude:\n  - {poison_rate: 0.3}\n", grid);
    BdSweep sw = LOAD_OK(yaml);
    CHECK(sw.n_cells == 2 && sw.n_warnings == 0 && sw.n_notes == 1);
    if (sw.n_notes == 1)
        CHECK_STR(sw.notes[0], "dataset synthetic(classes=4,size=8,test=20,train=100): trigger fit, classes, "
                               "regularizer layers and poisoning pools checked against the data");
    bd_sweep_free(&sw);
    /* Every combination that must fail is counted; the first is described. */
    snprintf(yaml, sizeof yaml,
             HEAD "grid:\n  dataset: {name: synthetic, classes: 4, size: 8, train: 100, test: 20}\n"
                  "  arch: cnn-small\n  trigger: square\n  strategy: [all-to-one, clean-label]\n  target: [0, 1]\n"
                  "  poison_rate: [0.3, 0.8]\n");
    expect_error(__LINE__, yaml, 0,
                 ":8:22: grid.poison_rate[1]: with grid.dataset (line 3), grid.strategy[0] (line 6) and "
                 "grid.target[0] (line 7): all-to-one: poison rate 0.8 needs 80 poisoned samples of 100 training "
                 "samples, but the pool (classes other than the target, target 0) holds 75 (counted in the data's 100 "
                 "training labels): this cell must fail; expected a rate of at most 0.75 with this strategy, or an "
                 "exclude entry for it (in all, 6 cells of 6 such combinations must fail); the first: ");

    /* A held-out part for retraining, drawn per seed, makes the pool a
     * random draw: 2 classes of 500, 100 held out, rate 0.5 needs 450 of
     * the source class's 450 on average: about half the cells fail (a
     * warning); 0.6 (540) cannot succeed. */
    const char *held = HEAD "retrain: {fraction: 0.1, epochs: 1}\n"
                            "grid:\n  dataset: {name: synthetic, classes: 2, size: 8, train: 1000, test: 20}\n"
                            "  arch: cnn-small\n  trigger: square\n  strategy: {name: one-to-one, source: 1}\n";
    snprintf(yaml, sizeof yaml, "%s  poison_rate: [0.4, 0.5]\n", held);
    sw = LOAD_OK(yaml);
    CHECK(sw.n_warnings == 1);
    if (sw.n_warnings == 1) {
        CHECK_CONTAINS(sw.warnings[0], ":8:22: grid.poison_rate[1]: with grid.dataset (line 4), grid.strategy "
                                       "(line 7) and the default target 0: one-to-one: poison rate 0.5 needs 450 "
                                       "poisoned samples of 900 training samples (1000 less 100 held out for "
                                       "retraining), and the pool (the source class 1, target 0) holds 450 on average "
                                       "and at most 500 (counted in the data's 1000 training labels): this cell ");
        CHECK_CONTAINS(sw.warnings[0], "training labels): this cell will fail with a probability of about 4");
        CHECK_CONTAINS(sw.warnings[0], "% for each seed, as the part held out for retraining is drawn per seed; "
                                       "expected a rate of at most 0.4833 (enough with a probability of 0.999) (the "
                                       "first: ");
    }
    bd_sweep_free(&sw);
    snprintf(yaml, sizeof yaml, "%s  poison_rate: [0.4, 0.6]\n", held);
    expect_error(__LINE__, yaml, 0,
                 ":8:22: grid.poison_rate[1]: with grid.dataset (line 4), grid.strategy (line 7) and the default "
                 "target 0: one-to-one: poison rate 0.6 needs 540 poisoned samples of 900 training samples (1000 less "
                 "100 held out for retraining), but the pool (the source class 1, target 0) holds 450 on average and "
                 "at most 500 (counted in the data's 1000 training labels): this cell must fail; expected a rate of "
                 "at most 0.4");

    /* The data is not here: the standard label counts, and plan says so. */
    snprintf(yaml, sizeof yaml,
             HEAD "grid:\n  dataset: {name: cifar10, path: /nonexistent/cifar}\n  arch: cnn-small\n"
                  "  trigger: square\n  strategy: clean-label\n  poison_rate: 0.2\n");
    expect_error(__LINE__, yaml, 0,
                 ":7:16: grid.poison_rate: with grid.dataset (line 3), grid.strategy (line 6) and the default target "
                 "0: clean-label: poison rate 0.2 needs 10000 poisoned samples of 50000 training samples, but the pool "
                 "(the target class, target 0) holds 5000 (CIFAR-10's published sizes; the data is not here): this "
                 "cell must fail; expected a rate of at most 0.1 with this strategy");
    /* ... also for a prefix of the standard files (limit_train), taken as a
     * draw from the whole set. */
    snprintf(yaml, sizeof yaml,
             HEAD "train: {limit_train: 1000}\n"
                  "grid:\n  dataset: {name: cifar10, path: /nonexistent/cifar}\n  arch: cnn-small\n"
                  "  trigger: square\n  strategy: clean-label\n  poison_rate: 0.2\n");
    expect_error(__LINE__, yaml, 0,
                 ":8:16: grid.poison_rate: with grid.dataset (line 4), grid.strategy (line 7) and the default target "
                 "0: clean-label: poison rate 0.2 needs 200 poisoned samples of 1000 training samples, but the pool "
                 "(the target class, target 0) holds 100 on average and at most 1000 (CIFAR-10's published sizes; the "
                 "data is not here): this cell must fail; expected a rate of at most 0.0");
    /* The data here: its own labels (Fashion-MNIST has 6000 per class;
     * its first 4000 hold 400 of class 0 or so). */
    sw = LOAD_OK(HEAD "train: {limit_train: 4000}\n" "grid:\n  dataset: fashion-mnist\n  arch: cnn-small\n"
                      "  trigger: square\n  strategy: clean-label\n  poison_rate: 0.05\n");
    CHECK(sw.n_warnings == 0 && sw.n_notes == 1);
    if (sw.n_notes == 1) CHECK_CONTAINS(sw.notes[0], "checked against the data");
    bd_sweep_free(&sw);
}

/* ---- walking the cells without keeping them ---------------------------------------- */

/* The walk (what plan uses) gives the cells that loading keeps, in the same
 * order, and every key and pre-training key is what bd_cell_key and
 * bd_pretrain_key make of the cell's values (the walk joins per-value pieces
 * instead). */
static void check_walk(int line, const char *yaml) {
    BdSweep all = load_ok(line, yaml, 0), lean = load_ok(line, yaml, BD_SWEEP_NO_CELLS);
    CHECK_MSG(lean.cells == NULL && lean.n_cells == all.n_cells, "line %d: %d cells, expected %d", line, lean.n_cells,
              all.n_cells);
    BdSweepWalk *w = bd_sweep_walk_begin();
    BdCell *cell = malloc(sizeof *cell);
    BdError err = {0};
    char key[BD_KEY_MAX], pre[BD_KEY_MAX];
    int n = 0, rc;
    while ((rc = bd_sweep_walk_next(&lean, w, &err)) == 1 && n < all.n_cells) {
        const BdSweepCell *c = &all.cells[n++];
        CHECK_STR(w->cell.key, c->key);
        CHECK_STR(w->cell.pretrain_key ? w->cell.pretrain_key : "-", c->pretrain_key ? c->pretrain_key : "-");
        for (int a = 0; a < BD_AXIS_COUNT; a++) {
            CHECK_STR(w->cell.values[a], c->values[a]);
            CHECK_STR(lean.axes[a].values[w->idx[a]].text, c->values[a]);
            CHECK(bd_axis_value_parse(bd_axes(), (BdAxis)a, c->values[a], &cell->v[a], &err) == 0);
        }
        CHECK(bd_cell_key(bd_axes(), cell, key, sizeof key, &err) == 0);
        CHECK_STR(key, c->key);
        CHECK(bd_pretrain_key(cell, pre, sizeof pre, &err) == 0);
        CHECK_STR(pre, c->pretrain_key ? c->pretrain_key : "");
    }
    CHECK_MSG(rc == 0 && n == all.n_cells, "line %d: the walk gave %d cells (rc %d: %s)", line, n, rc, err.msg);
    free(cell);
    bd_sweep_walk_end(w);
    bd_sweep_free(&all);
    bd_sweep_free(&lean);
}

static void test_walk(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/sweep/golden.yaml", src_root);
    char *golden = test_read(path);
    check_walk(__LINE__, golden);
    free(golden);
    /* Pre-training jobs, retraining, absent and explicit defaults, exclude. */
    check_walk(__LINE__, HEAD "train: {epochs: 2, limit_train: 500}\n"
                              "init: {pretrained: clean, epochs: 3}\n"
                              "retrain: {fraction: 0.1, epochs: 2}\n"
                              "grid:\n"
                              "  dataset: [{name: synthetic, classes: 4, size: 12}, fashion-mnist]\n"
                              "  arch: [cnn-small, resnet20]\n"
                              "  trigger: [square, checkerboard]\n"
                              "  strategy: [all-to-one, {name: one-to-one, source: 1}]\n"
                              "  poison_rate: [0, 0.1]\n"
                              "  regularizer: [none, logit-squeeze]\n"
                              "  seed: [1, 2, 3]\n"
                              "exclude:\n"
                              "  - {poison_rate: 0.1, trigger: checkerboard}\n"
                              "  - {seed: 2}\n");
}

/* One axis of many values: duplicates are found by hashing (the first
 * repeated value, naming its first occurrence), not by comparing every
 * pair, and a scalar value costs no resolved spec. */
static void test_long_axis(void) {
    enum { N = 200000 };
    size_t cap = 64 + 12 * (size_t)N;
    char *yaml = malloc(cap + 512);
    size_t o = (size_t)snprintf(yaml, cap, HEAD BASE_GRID "  trigger: square\n  poison_rate: 0\n  seed: [");
    for (int i = 1; i <= N; i++) o += (size_t)snprintf(yaml + o, cap - o, "%d, ", i);
    snprintf(yaml + o, cap + 512 - o, "7, 3]\n");
    char path[4096];
    BdSweep sw;
    BdError err = {0};
    CHECK(load(yaml, 0, &sw, &err, path, sizeof path) < 0); /* seed 7 again, after the 200000 */
    CHECK_CONTAINS(err.msg, ": grid.seed[200000]: 7 is the same value as grid.seed[6] (line 7, column ");
    bd_sweep_free(&sw);
    snprintf(yaml + o - 2, cap + 512 - (o - 2), "]\n");
    sw = load_ok(__LINE__, yaml, BD_SWEEP_NO_CELLS);
    CHECK(sw.n_cells == N && sw.cells == NULL);
    CHECK(bd_sweep_spec(&sw, BD_AXIS_SEED, 0) == NULL && bd_sweep_spec(&sw, BD_AXIS_TRIGGER, 0) != NULL);
    bd_sweep_free(&sw);
    free(yaml);
}

static void test_files(void) {
    BdSweep sw;
    BdError err = {0};
    CHECK(bd_sweep_load("/nonexistent/x.yaml", 0, &sw, &err) < 0);
    CHECK_STR(err.msg, "/nonexistent/x.yaml: cannot read the sweep file: No such file or directory");
    CHECK(bd_sweep_load(dir, 0, &sw, &err) < 0);
    CHECK_CONTAINS(err.msg, ": not a regular file: expected a YAML sweep file");
    bd_sweep_free(&sw);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_sweep SOURCE_ROOT\n");
        return 2;
    }
    src_root = argv[1];
    dir = test_tmpdir();
    test_smoke();
    test_order();
    test_exclude();
    test_limits();
    test_errors();
    test_cell_checks();
    test_pools();
    test_walk();
    test_long_axis();
    test_files();
    test_rmtree(dir);
    free(dir);
    return check_result("test_sweep");
}
