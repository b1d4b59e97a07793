/* The safetensors writer byte for byte against a file made by hand; the
 * reader on files another writer could make (whitespace, any order, other
 * dtypes, escapes) and its refusal of every broken one, with the reason. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "export.h"
#include "nn.h"
#include "safetensors.h"

static char dir[] = "/tmp/bd_st_XXXXXX";

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* u64 N, the header as given (not padded), then the data. */
static void write_raw(const char *path, const char *header, const void *data, size_t data_len) {
    FILE *f = fopen(path, "wb");
    uint64_t n = strlen(header);
    for (int i = 0; i < 8; i++) fputc((int)(n >> (8 * i) & 0xFF), f);
    fwrite(header, 1, n, f);
    fwrite(data, 1, data_len, f);
    fclose(f);
}

static void set(BdGraph *g, const char *name, const float *v, size_t n) {
    int p = bd_graph_find_param(g, name);
    if (p >= 0) {
        CHECK(g->param_info[p].len == n);
        memcpy(g->params + g->param_info[p].off, v, n * sizeof *v);
        return;
    }
    int b = bd_graph_find_buffer(g, name);
    CHECK_MSG(b >= 0, "%s is not in the graph", name);
    if (b < 0) return;
    CHECK(g->buffer_info[b].len == n);
    memcpy(g->buffers + g->buffer_info[b].off, v, n * sizeof *v);
}

/* A conv with bias, a BN and a linear layer: every kind of tensor, each set
 * by name to values of its own. */
static const float conv_w[] = {1.5f, -2.0f}, conv_b[] = {0.25f, -0.125f};
static const float bn_w[] = {0.75f, 1.25f}, bn_b[] = {-0.5f, 0.5f};
static const float bn_mean[] = {0.0625f, -3.0f}, bn_var[] = {2.0f, 0.375f};
static const float fc_w[] = {1.0f, -1.0f, 0.5f, 4.0f}, fc_b[] = {-0.75f, 8.0f};

static BdGraph *tiny_graph(void) {
    BdGraph *g = bd_graph_new((BdShape){1, 2, 2}, 1);
    int x = bd_bn(g, bd_conv(g, bd_input(g), 2, 1, 1, 0, 1, 1, "conv"), "bn");
    bd_graph_set_output(g, bd_linear(g, bd_gap(g, x), 2, "fc"));
    BdError err;
    if (bd_graph_finalize(g, &err) < 0) abort();
    set(g, "conv.weight", conv_w, 2);
    set(g, "conv.bias", conv_b, 2);
    set(g, "bn.weight", bn_w, 2);
    set(g, "bn.bias", bn_b, 2);
    set(g, "bn.running_mean", bn_mean, 2);
    set(g, "bn.running_var", bn_var, 2);
    set(g, "fc.weight", fc_w, 4);
    set(g, "fc.bias", fc_b, 2);
    return g;
}

static void test_writer_bytes(void) {
    BdGraph *g = tiny_graph();
    /* Keys out of order, and values that need escapes or are not ASCII. */
    const BdStMeta meta[] = {
        {"quote", "say \"hi\"\\\n\t\x01"},
        {"arch", "tiny(width=2)"},
        {"name", "caf\xc3\xa9"},
    };
    char path[256];
    path_of(path, sizeof path, "tiny.safetensors");
    BdError err = {0};
    CHECK_MSG(bd_export_graph(g, meta, 3, path, &err) == 0, "%s", err.msg);

    /* What the file must hold, made by hand: metadata first with its keys
     * sorted, then the tensors by name, each after the one before. */
    const char *json =
        "{\"__metadata__\":{\"arch\":\"tiny(width=2)\",\"name\":\"caf\xc3\xa9\","
        "\"quote\":\"say \\\"hi\\\"\\\\\\n\\t\\u0001\"},"
        "\"bn.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"bn.running_mean\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
        "\"bn.running_var\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},"
        "\"bn.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]},"
        "\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]},"
        "\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[2,1,1,1],\"data_offsets\":[40,48]},"
        "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[48,56]},"
        "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[56,72]}}";
    const float *order[] = {bn_b, bn_mean, bn_var, bn_w, conv_b, conv_w, fc_b, fc_w};
    const size_t counts[] = {2, 2, 2, 2, 2, 2, 2, 4};
    size_t header_len = strlen(json), padded = (header_len + 7) / 8 * 8;
    size_t want_len = 8 + padded + 72;
    unsigned char *want = malloc(want_len);
    for (int i = 0; i < 8; i++) want[i] = (unsigned char)(padded >> (8 * i));
    memcpy(want + 8, json, header_len);
    memset(want + 8 + header_len, ' ', padded - header_len);
    unsigned char *p = want + 8 + padded;
    for (int t = 0; t < 8; t++)
        for (size_t k = 0; k < counts[t]; k++) {
            uint32_t bits;
            memcpy(&bits, &order[t][k], 4);
            for (int i = 0; i < 4; i++) *p++ = (unsigned char)(bits >> (8 * i)); /* little-endian */
        }

    size_t got_len = 0;
    unsigned char *got = slurp(path, &got_len);
    CHECK_MSG(got && got_len == want_len, "%zu bytes written, %zu expected", got_len, want_len);
    if (got && got_len == want_len) {
        for (size_t i = 0; i < want_len; i++)
            if (got[i] != want[i]) {
                CHECK_MSG(0, "byte %zu differs: 0x%02x, expected 0x%02x", i, got[i], want[i]);
                break;
            }
    }
    CHECK(padded % 8 == 0 && padded - header_len < 8);

    /* And it reads back as written. */
    BdStFile f;
    CHECK_MSG(bd_st_read(path, &f, &err) == 0, "%s", err.msg);
    CHECK(f.n == 8 && f.n_meta == 3);
    if (f.n == 8 && f.n_meta == 3) {
        CHECK_STR(bd_st_meta(&f, "quote"), "say \"hi\"\\\n\t\x01");
        CHECK_STR(bd_st_meta(&f, "name"), "caf\xc3\xa9");
        const BdStView *w = bd_st_find(&f, "conv.weight");
        CHECK(w && !strcmp(w->dtype, "F32") && w->ndim == 4 && w->shape[0] == 2 && w->shape[3] == 1);
        CHECK(w && w->end - w->begin == 8 && !memcmp(w->data, conv_w, 8));
        const BdStView *v = bd_st_find(&f, "bn.running_var");
        CHECK(v && !memcmp(v->data, bn_var, 8));
        CHECK(bd_st_find(&f, "bn.running_varx") == NULL && bd_st_meta(&f, "nope") == NULL);
    }
    bd_st_free(&f);
    free(got);
    free(want);
    bd_graph_free(g);
}

/* Files another writer may make: whitespace and newlines, tensors listed out
 * of offset order, a scalar I64 (PyTorch's num_batches_tracked), F16, escaped
 * names, no metadata, padding. */
static void test_reader_accepts(void) {
    char path[256];
    path_of(path, sizeof path, "other.safetensors");
    const char *header = "{\n  \"b\\u00e9\\ud83d\\ude00\" : {\"data_offsets\": [8, 12], \"shape\": [2], \"dtype\": \"F16\"},\n"
                         "  \"bn.num_batches_tracked\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [0, 8]},\n"
                         "  \"empty\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [12, 12]}\n}    ";
    unsigned char data[12] = {7, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x3C, 0x00, 0xC0}; /* 7; 1.0, -2.0 in half */
    write_raw(path, header, data, sizeof data);
    BdStFile f;
    BdError err = {0};
    CHECK_MSG(bd_st_read(path, &f, &err) == 0, "%s", err.msg);
    CHECK(f.n == 3 && f.n_meta == 0);
    const BdStView *h = bd_st_find(&f, "b\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(h && !strcmp(h->dtype, "F16") && h->ndim == 1 && h->shape[0] == 2 && h->data[1] == 0x3C);
    const BdStView *s = bd_st_find(&f, "bn.num_batches_tracked");
    CHECK(s && s->ndim == 0 && s->data[0] == 7);
    const BdStView *e = bd_st_find(&f, "empty");
    CHECK(e && e->ndim == 2 && e->shape[0] == 0 && e->begin == e->end);
    bd_st_free(&f);

    write_raw(path, "{}", NULL, 0);
    CHECK_MSG(bd_st_read(path, &f, &err) == 0, "%s", err.msg);
    CHECK(f.n == 0);
    bd_st_free(&f);
}

static void expect_refused(const char *what, const char *header, size_t data_len, const char *fragment) {
    char path[256];
    path_of(path, sizeof path, "bad.safetensors");
    unsigned char *data = calloc(1, data_len + 1);
    write_raw(path, header, data, data_len);
    free(data);
    BdStFile f;
    BdError err = {0};
    int rc = bd_st_read(path, &f, &err);
    CHECK_MSG(rc < 0, "%s: accepted", what);
    if (rc < 0) {
        CHECK_CONTAINS(err.msg, fragment);
        CHECK_CONTAINS(err.msg, path);
    }
    CHECK(f.n == 0 && f.bytes == NULL);
    bd_st_free(&f);
}

#define T(name, dtype, shape, b, e) "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void test_reader_refuses(void) {
    expect_refused("a hole", "{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 12, 20) "}", 20,
                   "starts at byte 12 of the data, not at 8");
    expect_refused("an overlap", "{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12,
                   "without holes or overlaps");
    expect_refused("a size that does not match the shape", "{" T("a", "F32", "[3]", 0, 8) "}", 8, "needs 12");
    expect_refused("10^8 elements claimed in a small file", "{" T("a", "F32", "[100000000]", 0, 400000000) "}", 8,
                   "the tensors cover 400000000 bytes of data, the file holds 8");
    expect_refused("END before BEGIN", "{" T("a", "F32", "[0]", 8, 0) "}", 8, "data_offsets [8, 0] end before they begin");
    expect_refused("bytes after the last tensor", "{" T("a", "F32", "[2]", 0, 8) "}", 12,
                   "cover 8 bytes of data, the file holds 12");
    expect_refused("an unknown dtype", "{" T("a", "Q7", "[2]", 0, 8) "}", 8, "dtype 'Q7'");
    expect_refused("a sub-byte dtype", "{" T("a", "F4", "[2]", 0, 1) "}", 1, "dtype 'F4'");
    expect_refused("a tensor given twice", "{" T("a", "F32", "[1]", 0, 4) "," T("a", "F32", "[1]", 4, 8) "}", 8,
                   "tensor 'a' given twice");
    expect_refused("a metadata key given twice", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0,
                   "metadata key 'k' given twice");
    expect_refused("two metadata maps", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "'__metadata__' given twice");
    expect_refused("metadata that is not a string", "{\"__metadata__\":{\"k\":1}}", 0, "strings only");
    expect_refused("an unknown field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
                   "unknown or repeated field 'x'");
    expect_refused("a repeated field", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                   4, "unknown or repeated field 'dtype'");
    expect_refused("a missing field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "lacks dtype, shape or data_offsets");
    expect_refused("a negative dimension", "{" T("a", "F32", "[-1]", 0, 4) "}", 4, "a non-negative integer");
    expect_refused("a fractional offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4,
                   "expected ']'");
    expect_refused("a leading zero", "{" T("a", "F32", "[01]", 0, 4) "}", 4, "a non-negative integer");
    expect_refused("three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", 4,
                   "fewer array elements");
    expect_refused("nine dimensions", "{" T("a", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4) "}", 4, "fewer array elements");
    expect_refused("a header not starting with '{'", " {}", 0, "'{' as the header's first byte");
    expect_refused("text after the header", "{} x", 0, "only whitespace after");
    expect_refused("a truncated header", "{\"a\":{\"dtype\":\"F32\"", 0, "byte 19: expected '}'");
    expect_refused("an unterminated string", "{\"a", 0, "the end of the string");
    expect_refused("a raw control character", "{\"a\x01\":{}}", 0, "no control characters");
    expect_refused("a lone surrogate", "{\"\\udc00\":{}}", 0, "a valid character or escape");
    expect_refused("a NUL escape", "{\"a\\u0000\":{}}", 0, "a valid character or escape");

    char path[256];
    path_of(path, sizeof path, "short.safetensors");
    FILE *f = fopen(path, "wb");
    fwrite("\x10\0\0", 1, 3, f);
    fclose(f);
    BdStFile sf;
    BdError err = {0};
    CHECK(bd_st_read(path, &sf, &err) < 0);
    CHECK_CONTAINS(err.msg, "shorter than the 8-byte header length");
    f = fopen(path, "wb");
    fwrite("\x40\0\0\0\0\0\0\0{}", 1, 10, f); /* a 64-byte header in a 10-byte file */
    fclose(f);
    CHECK(bd_st_read(path, &sf, &err) < 0);
    CHECK_CONTAINS(err.msg, "a header of 64 bytes in a file of 10");
    path_of(path, sizeof path, "missing.safetensors");
    CHECK(bd_st_read(path, &sf, &err) < 0);
    CHECK_CONTAINS(err.msg, "cannot open");
}

static void test_writer_refuses(void) {
    char path[256];
    path_of(path, sizeof path, "w.safetensors");
    const float x[2] = {1, 2};
    BdStF32 t[2] = {{"a", x, 1, {2}}, {"a", x, 1, {2}}};
    BdError err = {0};
    CHECK(bd_st_write(path, t, 2, NULL, 0, &err) < 0);
    CHECK_CONTAINS(err.msg, "tensor name 'a' given twice");
    t[1].name = "__metadata__";
    CHECK(bd_st_write(path, t, 2, NULL, 0, &err) < 0);
    CHECK_CONTAINS(err.msg, "'__metadata__' cannot name a tensor");
    const BdStMeta m[2] = {{"k", "1"}, {"k", "2"}};
    CHECK(bd_st_write(path, t, 1, m, 2, &err) < 0);
    CHECK_CONTAINS(err.msg, "metadata key 'k' given twice");
    t[0].shape[0] = -1;
    CHECK(bd_st_write(path, t, 1, NULL, 0, &err) < 0);
    CHECK_CONTAINS(err.msg, "negative dimension");
    CHECK(access(path, F_OK) != 0); /* nothing was written */

    /* A folder that does not exist: the error names it, no file is left. */
    char deep[300];
    snprintf(deep, sizeof deep, "%s/no/such/dir/w.safetensors", dir);
    t[0].shape[0] = 2;
    CHECK(bd_st_write(deep, t, 1, NULL, 0, &err) < 0);
    CHECK_CONTAINS(err.msg, "cannot create");

    /* No tensors and no metadata: the smallest valid file, "{}" padded. */
    CHECK(bd_st_write(path, t, 0, NULL, 0, &err) == 0);
    size_t len = 0;
    unsigned char *b = slurp(path, &len);
    CHECK(b && len == 16 && b[0] == 8 && !memcmp(b + 8, "{}      ", 8));
    free(b);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    test_writer_bytes();
    test_reader_accepts();
    test_reader_refuses();
    test_writer_refuses();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return check_result("export_safetensors");
}
