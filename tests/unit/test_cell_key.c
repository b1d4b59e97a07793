/* Spec canonicalisation and cell keys: defaults are omitted, values are
 * canonical, parse(format(x)) == x, and the seed depends on the key only. */
#include "axes.h"
#include "cell.h"
#include "check.h"
#include "rng.h"

static void test_spec_resolve(void) {
    const BdAxisDef *axes = bd_axes();
    BdSpec s;
    BdError err = {0};
    char text[BD_SPEC_TEXT_MAX];

    CHECK(bd_axis_value_parse(axes, BD_AXIS_TRIGGER, "square", &s, &err) == 0);
    CHECK(bd_axis_value_format(axes, BD_AXIS_TRIGGER, &s, text, sizeof text, &err) == 0);
    CHECK_STR(text, "square");
    CHECK(bd_spec_int(&s, "size") == 3);

    /* A default given explicitly is the same value. */
    CHECK(bd_axis_value_parse(axes, BD_AXIS_TRIGGER, "square(size=3.0,location=bottom-right)", &s, &err) == 0);
    CHECK(bd_axis_value_format(axes, BD_AXIS_TRIGGER, &s, text, sizeof text, &err) == 0);
    CHECK_STR(text, "square");

    CHECK(bd_axis_value_parse(axes, BD_AXIS_TRIGGER, "square(size=4,location=top-left)", &s, &err) == 0);
    CHECK(bd_axis_value_format(axes, BD_AXIS_TRIGGER, &s, text, sizeof text, &err) == 0);
    CHECK_STR(text, "square(location=top-left,size=4)");

    CHECK(bd_axis_value_parse(axes, BD_AXIS_TRIGGER, "square(size=0)", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "out of range");
    CHECK(bd_axis_value_parse(axes, BD_AXIS_TRIGGER, "square(colour=3)", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "unknown parameter 'colour'");
    CHECK(bd_axis_value_parse(axes, BD_AXIS_TRIGGER, "sqaure", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "unknown value 'sqaure'");
    CHECK(bd_axis_value_parse(axes, BD_AXIS_TRIGGER, "square(x=3)", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "both x and y");

    CHECK(bd_axis_value_parse(axes, BD_AXIS_POISON_RATE, "0.050", &s, &err) == 0);
    CHECK_STR(s.name, "0.05");
    CHECK(bd_axis_value_parse(axes, BD_AXIS_POISON_RATE, "1.5", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "out of range");

    CHECK(bd_axis_value_parse(axes, BD_AXIS_ARCH, "resnet50(depth=[2, 2,2,2],width=0.25)", &s, &err) == 0);
    CHECK(bd_axis_value_format(axes, BD_AXIS_ARCH, &s, text, sizeof text, &err) == 0);
    CHECK_STR(text, "resnet50(depth=[2,2,2,2],width=0.25)");
    long depth[4];
    CHECK(bd_spec_int_list(&s, "depth", depth, 4) == 4 && depth[3] == 2);

    /* Strings that need quotes survive a round trip. */
    CHECK(bd_axis_value_parse(axes, BD_AXIS_DATASET, "cifar10(path=\"/data/my cifar (v1)\")", &s, &err) == 0);
    CHECK_STR(bd_spec_str(&s, "path"), "/data/my cifar (v1)");
    CHECK(bd_axis_value_format(axes, BD_AXIS_DATASET, &s, text, sizeof text, &err) == 0);
    CHECK_STR(text, "cifar10(path=\"/data/my cifar (v1)\")");
    /* And list items with list syntax in them. */
    CHECK(bd_axis_value_parse(axes, BD_AXIS_REGULARIZER, "snnl(layers=[penultimate,\"a,b\"])", &s, &err) == 0);
    CHECK(bd_spec_str_list(&s, "layers", 1, text, sizeof text) == 2);
    CHECK_STR(text, "a,b");
    CHECK(bd_axis_value_format(axes, BD_AXIS_REGULARIZER, &s, text, sizeof text, &err) == 0);
    CHECK_STR(text, "snnl(layers=[penultimate,\"a,b\"])");
}

static void test_cell_key_roundtrip(void) {
    const BdAxisDef *axes = bd_axes();
    BdError err = {0};
    const char *key =
        "dataset=fashion-mnist arch=cnn-small trigger=square(location=top-left,size=4) "
        "poison_rate=0.05 seed=2 train=sgd(epochs=2,limit_test=1000,limit_train=4000)";
    static BdCell c;
    CHECK_MSG(bd_cell_parse(axes, key, &c, &err) == 0, "%s", err.msg);
    char out[BD_KEY_MAX];
    CHECK(bd_cell_key(axes, &c, out, sizeof out, &err) == 0);
    /* strategy, target, regularizer, init and retrain are at their absent values. */
    CHECK_STR(out, key);
    CHECK(bd_cell_seed(&c) == 2);
    CHECK_NEAR(bd_cell_poison_rate(&c), 0.05, 0);
    CHECK(bd_spec_int(&c.v[BD_AXIS_TRAIN], "epochs") == 2);
    CHECK_STR(c.v[BD_AXIS_STRATEGY].name, "all-to-one");

    CHECK(bd_cell_parse(axes, "arch=cnn-small", &c, &err) < 0);
    CHECK_CONTAINS(err.msg, "'dataset' is missing");
    CHECK(bd_cell_parse(axes, "dataset=mnist dataset=mnist", &c, &err) < 0);
    CHECK_CONTAINS(err.msg, "given twice");

    /* The seed of a cell is its key's hash: fixed forever (a change breaks
     * reproducibility of every stored sweep). */
    CHECK(bd_hash_str("abc") == bd_hash_str("abc"));
    CHECK(bd_hash_str("abc") != bd_hash_str("abd"));
    BdRng r1, r2;
    bd_rng_stream(&r1, 42, "shuffle", 3);
    bd_rng_stream(&r2, 42, "shuffle", 3);
    CHECK(bd_rng_u64(&r1) == bd_rng_u64(&r2));
    bd_rng_stream(&r2, 42, "shuffle", 4);
    CHECK(bd_rng_u64(&r1) != bd_rng_u64(&r2));
}

static void test_beta_extremes(void) {
    BdRng r;
    bd_rng_seed(&r, 7);
    int extreme = 0;
    for (int i = 0; i < 1000; i++) {
        double l = bd_rng_beta(&r, 1e-4, 1e-4);
        CHECK(l >= 0.0 && l <= 1.0);
        if (l < 1e-6 || l > 1 - 1e-6) extreme++;
    }
    CHECK(extreme > 990); /* Beta(a, a) -> a fair coin between 0 and 1 as a -> 0 */
    double mean = 0;
    for (int i = 0; i < 20000; i++) mean += bd_rng_beta(&r, 2, 5);
    CHECK_NEAR(mean / 20000, 2.0 / 7.0, 0.01);
}

int main(void) {
    test_spec_resolve();
    test_cell_key_roundtrip();
    test_beta_extremes();
    return check_result("test_cell_key");
}
